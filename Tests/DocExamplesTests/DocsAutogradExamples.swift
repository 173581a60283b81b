import Testing
import TensorCore
import Autograd
import NN

// The ```swift blocks of docs/autograd.md, each compiled inside a function (or a namespace, for
// declarations) so that the compiler checks them. DocExampleCoverageTests asserts each block's text
// appears here.

enum AutogradDocs {
    /// The protocol as the docs list it; nested so that it does not shadow Autograd's.
    enum Listing {
        public protocol CustomFunction {
            static var name: String { get }                                            // defaults to the type name
            static func forward(_ ctx: FunctionContext, _ inputs: [Tensor]) throws -> Tensor
            static func backward(_ ctx: FunctionContext, _ gradOutput: Tensor) throws -> [Tensor?]
        }
    }

    public enum CustomReLU: CustomFunction {
        public static var name: String { "custom_relu" }

        public static func forward(_ ctx: FunctionContext, _ inputs: [Tensor]) throws -> Tensor {
            ctx.saveForBackward(inputs[0])
            return inputs[0].map(.relu)
        }

        public static func backward(_ ctx: FunctionContext, _ gradOutput: Tensor) throws -> [Tensor?] {
            let x = try ctx.savedTensors[0]
            return [Tensor.activationGradient(.relu, gradient: gradOutput, saved: x)]
        }
    }

    static func leafAndBackward() throws {
        let w = Tensor([0.5, -1], shape: [2]).requiringGrad()      // a leaf that receives .grad
        let x = Tensor([2, 3], shape: [2])
        let loss = try (w * x).tanh().sum()
        try loss.backward()
        w.grad                                                       // ∂loss/∂w
    }

    static func gradModes() throws {
        let w = Tensor([1, 2], shape: [2]).requiringGrad()
        let a = try noGrad { try w * 2.0 }           // no graph
        try (a * w).sum().backward()                 // fine: `a` is a constant here, w.grad = a

        let b = try inferenceMode { try w * 2.0 }    // no graph, and b is marked
        try b * w                                    // throws: "mul: a tensor created in inference mode cannot be
                                                     //  used in an op recorded for autograd; …"
        try noGrad { try b * w }                     // fine: nothing is recorded
    }

    static func retainGraph(w: Tensor, x: Tensor) throws {
        let h = try (w * x).tanh()
        try h.sum().backward(retainGraph: true)
        try h.pow(2).sum().backward()               // gradients of both losses summed into w.grad
    }

    static func customReLUUse() throws {
        let x = Tensor([-1, 2, -3, 4], shape: [2, 2]).requiringGrad()
        try CustomReLU.apply(x).sum().backward()     // x.grad = [0, 1, 0, 1]
    }

    static func straightThrough(w: Tensor) throws {
        let q = try (w * 4.0).roundSTE() / 4.0       // w quantised to steps of 1/4; ∂q/∂w = 1
        let b = try w.signSTE(clip: true)            // binary weights; no gradient where |w| > 1
        _ = (q, b)
    }

    static func checkpointing(k0: RandomKey, k1: RandomKey) {
        let model = Sequential([
            ("", Checkpointed(Sequential([("layer1", Linear(20, 64, key: k0)), ("bn1", BatchNorm1d(64)), ("2", ReLU()), ("3", Dropout(p: 0.3, layerID: 3))]))),
            ("layer2", Linear(64, 1, key: k1)),
        ])
        model.stateDict().map(\.name)   // layer1.weight, layer1.bias, bn1.weight, …, layer2.bias — as without checkpointing
    }

    static func sequenceModelOps(ids: Tensor, targets: Tensor, wte: Tensor, wpe: Tensor, t: Int, vocab: Int, g1: Tensor, b1: Tensor,
                                 wAttn: Tensor, bAttn: Tensor, wProj: Tensor, bProj: Tensor, wHead: Tensor) throws {
        let x = try Tensor.embedding(ids, weight: wte) + Tensor.embedding(Tensor.arange(t), weight: wpe)   // (B, T, C)
        let qkv = try Tensor.linear(Tensor.layerNorm(x, weight: g1, bias: b1, epsilon: 1e-5), weight: wAttn, bias: bAttn)
        let h = try x + Tensor.linear(Tensor.causalSelfAttention(qkv, heads: 4), weight: wProj, bias: bProj)
        let logits = try Tensor.linear(h, weight: wHead, bias: nil)                                         // (B, T, V)
        let loss = try Loss.crossEntropy(logits.reshape([-1, vocab]), targets, reduction: .mean)
        _ = loss
    }

    static func gradientCheck() throws {
        let x = Tensor.uniform([3, 4], low: -1, high: 1, key: RandomKey(seed: 1, stream: .initialization),
                               dtype: .float64).requiringGrad()
        let result = try GradientCheck.check("custom_relu", inputs: [x], epsilon: 1e-6, tolerance: 1e-6) {
            try CustomReLU.apply($0[0])
        }
        print(result)            // "custom_relu: worst error … over 12 elements — pass"
        #expect(result.passed)
    }

    static func memory(model: Module, x: Tensor) throws {
        let meter = MemoryMeter()
        let loss = try meter.track { try model(x).sum() }
        meter.liveBytes          // what the graph holds for backward
        try meter.track { try loss.backward() }
        meter.peakBytes          // the most alive at once during forward and backward
    }
}
