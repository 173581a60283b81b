import Testing
import TensorCore
import Autograd

/// Finite-difference checks, in float64, of the ops a transformer needs: views and moves, batched
/// matmul, softmaxes, embedding, fused attention, and linear / layer norm on 3-D inputs.
struct TransformerOpsGradientTests {
    static func input(_ shape: [Int], _ salt: UInt32, low: Double = -2, high: Double = 2) -> Tensor {
        GradientCheckTests.input(shape, 100 + salt, low: low, high: high)
    }

    func expectPasses(_ name: String, _ inputs: [Tensor], _ f: @escaping ([Tensor]) throws -> Tensor) throws {
        let result = try GradientCheck.check(name, inputs: inputs, f)
        #expect(result.passed, "\(result)")
        #expect(result.checkedElements == inputs.filter(\.requiresGrad).reduce(0) { $0 + $1.count })
    }

    @Test func viewsAndMoves() throws {
        let x = Self.input([2, 3, 2, 4], 1)
        try expectPasses("permute heads", [x]) { try $0[0].permute([0, 2, 1, 3]) }
        try expectPasses("permute last axis moved", [x]) { try $0[0].permute([3, 0, 2, 1]) }
        try expectPasses("permute negative axes", [x]) { try $0[0].permute([-1, -2, -3, -4]) }
        try expectPasses("transpose(0, 2)", [x]) { try $0[0].transpose(0, 2) }
        try expectPasses("reshape 4-D", [x]) { try $0[0].reshape([6, -1]) }
        try expectPasses("slice axis 2 (copy)", [x]) { try $0[0].slice(axis: 2, range: 1..<2) }
        try expectPasses("slice axis 0 (view)", [x]) { try $0[0].slice(axis: 0, range: 1..<2) }
        try expectPasses("slice last axis", [x]) { try $0[0].slice(axis: -1, range: 0..<3) }
        let a = Self.input([2, 1, 3], 2), b = Self.input([2, 2, 3], 3), constant = Self.input([2, 4, 3], 4).requiringGrad(false)
        try expectPasses("cat axis 1", [a, b, constant]) { try Tensor.concatenate($0, axis: 1) }
        try expectPasses("cat axis 0", [b, Self.input([1, 2, 3], 5)]) { try Tensor.concatenate($0, axis: 0) }
        try expectPasses("cat last axis", [b, Self.input([2, 2, 1], 6)]) { try Tensor.concatenate($0, axis: -1) }
    }

    @Test func batchedMatmul() throws {
        for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
            let a = Self.input(ta ? [2, 3, 5, 4] : [2, 3, 4, 5], 10), b = Self.input(tb ? [2, 3, 2, 5] : [2, 3, 5, 2], 11)
            try expectPasses("matmul ta \(ta) tb \(tb)", [a, b]) { try $0[0].matmul($0[1], transposeSelf: ta, transposeOther: tb) }
            let shared = Self.input(tb ? [2, 5] : [5, 2], 12)
            try expectPasses("matmul shared right ta \(ta) tb \(tb)", [a, shared]) {
                try $0[0].matmul($0[1], transposeSelf: ta, transposeOther: tb)
            }
            let left = Self.input(ta ? [5, 4] : [4, 5], 13)
            try expectPasses("matmul shared left ta \(ta) tb \(tb)", [left, b]) {
                try $0[0].matmul($0[1], transposeSelf: ta, transposeOther: tb)
            }
            let m = Self.input(ta ? [5, 4] : [4, 5], 14), n = Self.input(tb ? [2, 5] : [5, 2], 15)
            try expectPasses("matmul 2-D ta \(ta) tb \(tb)", [m, n]) { try $0[0].matmul($0[1], transposeSelf: ta, transposeOther: tb) }
        }
    }

    @Test func softmaxes() throws {
        let x = Self.input([3, 4, 5], 20)
        for axis in [0, 1, 2, -1] {
            try expectPasses("softmax axis \(axis)", [x]) { try $0[0].softmax(axis: axis) }
            try expectPasses("log_softmax axis \(axis)", [x]) { try $0[0].logSoftmax(axis: axis) }
        }
        try expectPasses("causal_softmax", [Self.input([2, 3, 5, 5], 21)]) { try $0[0].causalSoftmax(scale: 0.7) }
    }

    @Test func embedding() throws {
        let weight = Self.input([5, 3], 30)
        let ids = Tensor(int64: [4, 0, 4, 2, 4, 1], shape: [2, 3])
        try expectPasses("embedding (int64 ids)", [weight]) { try Tensor.embedding(ids, weight: $0[0]) }
        try expectPasses("embedding (float ids)", [weight]) {
            try Tensor.embedding(Tensor(float64: [3, 3, 0], shape: [3]), weight: $0[0])
        }
        // Through a non-leaf weight (a scaled table): the rule returns the gradient instead of writing it.
        try expectPasses("embedding (computed weight)", [weight]) { try Tensor.embedding(ids, weight: $0[0] * 2.0) }
    }

    @Test func attention() throws {
        try expectPasses("causal_self_attention", [Self.input([2, 5, 36], 40, low: -1, high: 1)]) {
            try Tensor.causalSelfAttention($0[0], heads: 3)
        }
        try expectPasses("causal_self_attention one head", [Self.input([1, 4, 6], 41, low: -1, high: 1)]) {
            try Tensor.causalSelfAttention($0[0], heads: 1)
        }
    }

    @Test func rank3LinearAndLayerNorm() throws {
        let x = Self.input([2, 3, 4], 50), w = Self.input([5, 4], 51), b = Self.input([5], 52)
        try expectPasses("linear 3-D", [x, w, b]) { try Tensor.linear($0[0], weight: $0[1], bias: $0[2]) }
        try expectPasses("linear 4-D without bias", [Self.input([2, 1, 3, 4], 53), w]) { try Tensor.linear($0[0], weight: $0[1], bias: nil) }
        let gamma = Self.input([4], 54), beta = Self.input([4], 55)
        try expectPasses("layer_norm 3-D", [x, gamma, beta]) { try Tensor.layerNorm($0[0], weight: $0[1], bias: $0[2], epsilon: 1e-5) }
    }

    @Test func tanhApproximateGELU() throws {
        try expectPasses("gelu_tanh", [Self.input([4, 9], 70, low: -5, high: 5)]) { try $0[0].geluTanh() }
    }

    @Test func crossEntropyOverSequencePositions() throws {
        // (B, T, V) logits flattened to (B·T, V), int64 targets (B, T): the language model's loss.
        let logits = Self.input([2, 3, 4], 60), targets = Tensor(int64: [3, 0, 1, 1, 2, 3], shape: [2, 3])
        for r in Reduction.allCases {
            try expectPasses("cross_entropy int64 \(r)", [logits]) { try Loss.crossEntropy($0[0].reshape([6, 4]), targets, reduction: r) }
        }
    }
}
