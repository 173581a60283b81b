import Foundation
import Testing
import TensorCore
import Autograd
import NN
import Datasets
import Distributed
import DistributedMPI
import Checkpointing
import Optim

// The ```swift blocks of the `///` comments in TensorCore, Autograd, NN, Datasets, Distributed,
// DistributedMPI and Checkpointing, each compiled inside a function whose parameters stand for what
// the surrounding comment assumes.

/// The `key` the Module example's class body uses.
let key = RandomKey(seed: 7, stream: .initialization)

// Sources/NN/Module.swift
final class TwoLayer: Module {
    let fc1 = Linear(20, 64, key: key.with(a: 0)), fc2 = Linear(64, 1, key: key.with(a: 1))
    override init() { super.init(); register(module: fc1, as: "fc1"); register(module: fc2, as: "fc2") }
    override func forward(_ x: Tensor) throws -> Tensor { try fc2(fc1(x).relu()) }
}

enum TensorCoreExamples {
    static func matmul(x: Tensor, w: Tensor) throws {
        let y = x.matrixProduct(w, transposeOther: true)   // (N, in) · (out, in)ᵀ = (N, out)
        _ = y
    }

    static func memoryMeter(model: Module, x: Tensor) throws {
        let meter = MemoryMeter()
        let loss = try meter.track { try model(x).sum() }
        print(meter.liveBytes)     // what the graph keeps for backward
        try meter.track { try loss.backward() }
        print(meter.peakBytes)     // the most held at once during forward and backward
    }

    static func philox(step: Int, sample: Int, feature: Int) {
        let philox = Philox4x32(seed: 7)
        let block = philox.block(counter: (0, 0, 0, 0))   // four independent UInt32
        let key = RandomKey(seed: 7, stream: .dropout, a: UInt32(step), b: UInt32(sample))
        let u = key.uniformFloat(at: UInt64(feature))   // in [0, 1)
        _ = (block, u)
    }

    static func tensor() {
        let x = Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3])   // (2, 3) float32
        x[1, 2]                                              // 6.0
    }

    static func zeroGradients(loss: Tensor, w: Tensor, b: Tensor) throws {
        try loss.backward()
        zeroGrad([w, b])                    // w.grad == nil
        zeroGrad([w, b], setToNil: false)   // existing gradients become zeros
    }

    static func hugePages() {
        let block = UnsafeMutableRawPointer.allocate(byteCount: 16 << 20, alignment: 64)
        HugePages.advise(block, byteCount: 16 << 20)      // the 7 or 8 whole 2 MB pages inside it
        block.deallocate()
    }

    static func storage(model: Module, x: Tensor) throws {
        TensorStorage.resetPeak()
        let before = TensorStorage.liveBytes
        let loss = try model(x).sum()
        print(TensorStorage.liveBytes - before)   // bytes the graph holds for backward
        _ = loss
    }
}

enum AutogradExamples {
    static func backward(w: Tensor, x: Tensor, b: Tensor, target: Tensor) throws {
        let loss = try (w * x + b - target).pow(2).sum()
        try loss.backward()
        w.grad   // ∂loss/∂w
    }

    static func cube(x: Tensor) throws {
        enum Cube: CustomFunction {
            static func forward(_ ctx: FunctionContext, _ inputs: [Tensor]) throws -> Tensor {
                ctx.saveForBackward(inputs[0])
                return inputs[0].map(.power(3))
            }
            static func backward(_ ctx: FunctionContext, _ gradOutput: Tensor) throws -> [Tensor?] {
                let x = try ctx.savedTensors[0]
                return [gradOutput.zip(x.map(.square).map(.affine(scale: 3, shift: 0)), .multiply)!]   // 3x²·g
            }
        }
        let y = try Cube.apply(x)
        _ = y
    }

    static func context(ctx: FunctionContext, x: Tensor, weight: Tensor) throws {
        ctx.saveForBackward(x, weight)
        ctx["slope"] = 0.1
        // in backward:
        let (x, weight) = try (ctx.savedTensors[0], ctx.savedTensors[1])
        let slope = try ctx.value("slope", as: Double.self)
        _ = (x, weight, slope)
    }

    static func customReLU() throws {
        let x = Tensor([-1, 2, -3, 4], shape: [2, 2]).requiringGrad()
        let y = try CustomReLU.apply(x)          // [0, 2, 0, 4]
        try y.sum().backward()
        x.grad                                   // [0, 1, 0, 1]
    }

    static func gradModes(model: Module, x: Tensor) throws {
        let logits = try noGrad { try model(x) }             // no graph
        let probe = try inferenceMode { try model(x) }       // no graph, and `probe` can never join one
        _ = (logits, probe)
    }

    static func gradientCheck(key: RandomKey) throws {
        let x = Tensor.uniform([3, 4], low: -1, high: 1, key: key, dtype: .float64).requiringGrad()
        let result = try GradientCheck.check("tanh", inputs: [x]) { try $0[0].tanh() }
        #expect(result.passed)
    }

    static func straightThrough(w: Tensor) throws {
        let q = try (w * 4.0).roundSTE() / 4.0   // w quantised to steps of 1/4, trained as if it were w
        let binary = try w.signSTE(clip: true)   // ±1 weights; gradient stops where |w| > 1
        _ = (q, binary)
    }
}

enum NNExamples {
    static func batchNorm(x: Tensor) throws {
        let bn = BatchNorm1d(64)
        let y = try bn(x)   // (N, 64), normalised per feature
        _ = y
    }

    static func loadableCount(bn: BatchNorm1d, state: [String: Tensor], path: String) throws {
        try bn.checkLoadable(numBatchesTracked: state["bn1.num_batches_tracked"]!, name: "bn1.num_batches_tracked", source: path)
    }

    static func checkpointed(key: RandomKey, x: Tensor) throws {
        let block = Checkpointed(Sequential([("fc", Linear(512, 512, key: key)), ("bn", BatchNorm1d(512)), (nil, ReLU())]))
        let y = try block(x)          // block.fc.weight etc. as without the wrapper
        try y.sum().backward()        // re-runs the block, then backpropagates through it
    }

    static func dropout() {
        let drop = Dropout(p: 0.3, layerID: 3, seed: 7)
        _ = drop
    }

    static func flat(model: Module, loss: Tensor) throws {
        let flat = FlatParameters(model)
        try loss.backward()          // gradients land in flat.gradients
        _ = flat
    }

    static func hook(model: Module) {
        let handle = model.registerForwardHook { module, input, output in print(module.summary, output.shape) }
        defer { handle.remove() }
    }

    static func linear(x: Tensor) throws {
        let layer = Linear(20, 64, key: RandomKey(seed: 7, stream: .initialization, a: 0))
        let y = try layer(x)   // (N, 64)
        _ = y
    }

    static func treeParameters(key: RandomKey) {
        let model = Sequential([("fc", Linear(4, 2, key: key))])
        let norm = clipGradNorm(model.parameters(), maxNorm: 1.0)   // the Linear's weight and bias
        _ = norm
    }

    static func sampleContext(t: Int, ids: [Int], model: Module, x: Tensor) throws {
        let y = try SampleContext.$current.withValue(SampleContext(seed: 7, step: t, sampleIndices: ids)) {
            try model(x)
        }
        _ = y
    }

    static func sequential(k0: RandomKey, k1: RandomKey) {
        let mlp = Sequential([("layer1", Linear(20, 64, key: k0)), (nil, ReLU()), ("layer2", Linear(64, 1, key: k1))])
        _ = mlp
    }
}
