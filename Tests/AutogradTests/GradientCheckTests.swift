import Testing
import TensorCore
import Autograd

/// Finite-difference checks, in float64, of every differentiable op and loss.
struct GradientCheckTests {
    static func input(_ shape: [Int], _ salt: UInt32, low: Double = -2, high: Double = 2) -> Tensor {
        Tensor.uniform(shape, low: low, high: high, key: RandomKey(seed: 42, stream: .initialization, a: salt),
                       dtype: .float64).requiringGrad()
    }

    /// Inputs kept away from the kinks of relu/abs/clamp so that central differences are valid.
    static func awayFromKinks(_ shape: [Int], _ salt: UInt32) -> Tensor {
        let t = input(shape, salt)
        for i in 0..<t.count {
            let v = t.element(i)
            t.setElement(i, v.sign == .minus ? v - 0.1 : v + 0.1)
        }
        return t
    }

    func expectPasses(_ name: String, _ inputs: [Tensor], tolerance: Double = 1e-6,
                      _ f: @escaping ([Tensor]) throws -> Tensor) throws {
        let result = try GradientCheck.check(name, inputs: inputs, tolerance: tolerance, f)
        #expect(result.passed, "\(result)")
        #expect(result.checkedElements == inputs.filter(\.requiresGrad).reduce(0) { $0 + $1.count })
    }

    @Test func binaryOpsWithBroadcasting() throws {
        let a = Self.input([3, 4], 1), b = Self.input([4], 2), c = Self.input([3, 1], 3)
        let positive = Self.input([3, 4], 4, low: 0.5, high: 2)
        try expectPasses("add", [a, b]) { try $0[0] + $0[1] }
        try expectPasses("sub", [a, c]) { try $0[0] - $0[1] }
        try expectPasses("mul", [a, b]) { try $0[0] * $0[1] }
        try expectPasses("div", [a, positive]) { try $0[0] / $0[1] }
        try expectPasses("div broadcast", [a, Self.input([1, 4], 5, low: 0.5, high: 2)]) { try $0[0] / $0[1] }
        try expectPasses("neg", [a]) { try -$0[0] }
        try expectPasses("scalar ops", [a]) { try (2.0 - $0[0] * 3.0 + 1.5) / 4.0 }
    }

    @Test func powers() throws {
        let positive = Self.input([2, 3], 6, low: 0.5, high: 2)
        try expectPasses("pow scalar", [positive]) { try $0[0].pow(3) }
        try expectPasses("pow fractional", [positive]) { try $0[0].pow(-1.5) }
        try expectPasses("pow tensor", [positive, Self.input([2, 3], 7, low: -1, high: 2)]) { try $0[0].pow($0[1]) }
        try expectPasses("sqrt", [positive]) { try $0[0].sqrt() }
    }

    @Test func elementwiseFunctions() throws {
        let x = Self.awayFromKinks([3, 5], 8)
        let positive = Self.input([3, 5], 9, low: 0.2, high: 3)
        try expectPasses("exp", [x]) { try $0[0].exp() }
        try expectPasses("log", [positive]) { try $0[0].log() }
        try expectPasses("abs", [x]) { try $0[0].abs() }
        try expectPasses("relu", [x]) { try $0[0].relu() }
        try expectPasses("leaky_relu", [x]) { try $0[0].leakyRelu(slope: 0.2) }
        try expectPasses("gelu", [x]) { try $0[0].gelu() }
        try expectPasses("tanh", [x]) { try $0[0].tanh() }
        try expectPasses("sigmoid", [x]) { try $0[0].sigmoid() }
        let clampable = Self.input([3, 5], 10)
        for i in 0..<clampable.count where Swift.abs(Swift.abs(clampable.element(i)) - 1) < 0.05 {
            clampable.setElement(i, 0.5)
        }
        try expectPasses("clamp", [clampable]) { try $0[0].clamp(min: -1, max: 1) }
    }

    @Test func reductionsAndShapes() throws {
        let x = Self.input([3, 4], 11)
        try expectPasses("sum", [x]) { try $0[0].sum() }
        try expectPasses("mean", [x]) { try $0[0].mean() }
        try expectPasses("sum axis 0", [x]) { try $0[0].sum(axis: 0) }
        try expectPasses("sum axis 1 keepdim", [x]) { try $0[0].sum(axis: 1, keepDim: true) }
        try expectPasses("mean axis 1", [x]) { try $0[0].mean(axis: 1) }
        try expectPasses("reshape", [x]) { try $0[0].reshape([2, -1]) * Self.input([2, 6], 12) }
        try expectPasses("transpose", [x]) { try $0[0].transpose() * Self.input([4, 3], 13) }
    }

    @Test func matrixProducts() throws {
        let a = Self.input([3, 4], 14), b = Self.input([4, 2], 15)
        try expectPasses("matmul", [a, b]) { try $0[0].matmul($0[1]) }
        let w = Self.input([5, 4], 16), bias = Self.input([5], 17)
        try expectPasses("linear", [a, w, bias]) { try Tensor.linear($0[0], weight: $0[1], bias: $0[2]) }
        try expectPasses("linear without bias", [a, w]) { try Tensor.linear($0[0], weight: $0[1], bias: nil) }
    }

    @Test func normalization() throws {
        let x = Self.input([6, 3], 18), gamma = Self.input([3], 19), beta = Self.input([3], 20)
        try expectPasses("batch_norm train", [x, gamma, beta]) {
            try Tensor.batchNorm($0[0], weight: $0[1], bias: $0[2], epsilon: 1e-5, running: nil).output
        }
        let rm = Tensor(float64: [0.1, -0.2, 0.3], shape: [3]), rv = Tensor(float64: [0.5, 1.5, 2.0], shape: [3])
        try expectPasses("batch_norm eval", [x, gamma, beta]) {
            try Tensor.batchNorm($0[0], weight: $0[1], bias: $0[2], epsilon: 1e-5, running: (rm, rv)).output
        }
        try expectPasses("layer_norm", [x, gamma, beta]) {
            try Tensor.layerNorm($0[0], weight: $0[1], bias: $0[2], epsilon: 1e-5)
        }
    }

    @Test func losses() throws {
        let logits = Self.input([5, 1], 21, low: -4, high: 4)
        let targets = Tensor(float64: [0, 1, 1, 0, 1], shape: [5, 1])
        for r in Reduction.allCases {
            try expectPasses("bce \(r)", [logits]) { try Loss.binaryCrossEntropyWithLogits($0[0], targets, reduction: r) }
        }
        let scores = Self.input([4, 3], 22)
        let classes = Tensor(float64: [2, 0, 1, 2], shape: [4])
        for r in Reduction.allCases {
            try expectPasses("cross_entropy \(r)", [scores]) { try Loss.crossEntropy($0[0], classes, reduction: r) }
        }
        let predictions = Self.input([4, 1], 23), y = Tensor(float64: [0.5, -1, 2, 0], shape: [4])
        for r in Reduction.allCases {
            try expectPasses("mse \(r)", [predictions]) { try Loss.meanSquaredError($0[0], y, reduction: r) }
        }
    }

    @Test func checkerCatchesAWrongDerivative() throws {
        // A deliberately wrong rule (claims d/dx x² = x) must fail the check: the checker can fail.
        let x = Self.input([4], 24, low: 0.5, high: 2)
        let result = try GradientCheck.check("wrong", inputs: [x]) { inputs in
            let v = inputs[0]
            return try Tensor.record("wrong_square", inputs: [v], output: v.map(.square)) { g in [g.zip(v, .multiply)!] }
        }
        #expect(!result.passed)
    }
}
