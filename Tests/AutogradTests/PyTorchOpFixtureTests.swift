import Testing
import TensorCore
import Autograd

/// The transformer ops against real PyTorch (PyTorchOpFixtures.swift): outputs and input gradients,
/// in float64 and float32. Each case mirrors one of the script's CASES.
struct PyTorchOpFixtureTests {
    /// `vals` of the script: multiples of 1/div, exact in float32 and float64.
    static func values(_ n: Int, _ salt: Int, _ div: Double = 16) -> [Double] {
        (0..<n).map { Double(($0 * 37 + salt * 11) % 29 - 14) / div }
    }

    static func leaf(_ shape: [Int], _ salt: Int, _ div: Double = 16, dtype: DType) -> Tensor {
        Tensor(float64: values(shape.reduce(1, *), salt, div), shape: shape).converted(to: dtype).requiringGrad()
    }

    struct Case {
        let name: String
        let inputs: [(shape: [Int], salt: Int, div: Double)]
        let f: ([Tensor]) throws -> Tensor
        init(_ name: String, _ inputs: [(shape: [Int], salt: Int, div: Double)], _ f: @escaping ([Tensor]) throws -> Tensor) {
            self.name = name; self.inputs = inputs; self.f = f
        }
    }

    static var ids: Tensor { Tensor(int64: [1, 4, 1, 0, 4, 4], shape: [2, 3]) }
    static var targets: Tensor { Tensor(int64: [0, 4, 2, 2, 1, 3], shape: [6]) }

    static var cases: [Case] { [
        Case("permute", [([2, 3, 2, 4], 1, 16)]) { try $0[0].permute([0, 2, 1, 3]) },
        Case("transpose", [([2, 3, 4], 2, 16)]) { try $0[0].transpose(-2, -1) },
        Case("slice", [([2, 5, 3], 3, 16)]) { try $0[0].slice(axis: 1, range: 1..<4) },
        Case("slice_rows", [([5, 3], 4, 16)]) { try $0[0].slice(axis: 0, range: 1..<3) },
        Case("cat", [([2, 1, 3], 5, 16), ([2, 2, 3], 6, 16), ([2, 3, 3], 7, 16)]) { try Tensor.concatenate($0, axis: 1) },
        Case("matmul", [([2, 3, 4, 5], 8, 16), ([2, 3, 5, 2], 9, 16)]) { try $0[0].matmul($0[1]) },
        Case("matmul_transposed", [([2, 5, 3], 10, 16), ([2, 4, 5], 11, 16)]) {
            try $0[0].matmul($0[1], transposeSelf: true, transposeOther: true)
        },
        Case("matmul_shared_right", [([2, 3, 4], 12, 16), ([4, 5], 13, 16)]) { try $0[0].matmul($0[1]) },
        Case("matmul_shared_left", [([3, 4], 14, 16), ([2, 4, 5], 15, 16)]) { try $0[0].matmul($0[1]) },
        Case("softmax", [([2, 3, 4], 16, 4)]) { try $0[0].softmax(axis: 1) },
        Case("log_softmax", [([2, 3, 5], 17, 4)]) { try $0[0].logSoftmax(axis: -1) },
        Case("causal_softmax", [([2, 2, 4, 4], 18, 4)]) { try $0[0].causalSoftmax(scale: 0.5) },
        Case("embedding", [([6, 3], 19, 16)]) { try Tensor.embedding(ids, weight: $0[0]) },
        Case("attention", [([2, 4, 24], 20, 8)]) { try Tensor.causalSelfAttention($0[0], heads: 2) },
        Case("cross_entropy_mean", [([6, 5], 21, 4)]) { try Loss.crossEntropy($0[0], targets, reduction: .mean) },
        Case("cross_entropy_sum", [([6, 5], 21, 4)]) { try Loss.crossEntropy($0[0], targets, reduction: .sum) },
        Case("linear_3d", [([2, 3, 4], 22, 16), ([5, 4], 23, 16), ([5], 24, 16)]) {
            try Tensor.linear($0[0], weight: $0[1], bias: $0[2])
        },
        Case("layer_norm_3d", [([2, 3, 4], 25, 4), ([4], 26, 16), ([4], 27, 16)]) {
            try Tensor.layerNorm($0[0], weight: $0[1], bias: $0[2], epsilon: 1e-5)
        },
        Case("gelu_tanh", [([3, 7], 28, 2)]) { try $0[0].geluTanh() },
    ] }

    /// `max |actual − expected| / max |expected|`: the error relative to the quantity's largest element.
    static func relativeError(_ actual: [Double], _ expected: [Double]) -> Double {
        guard actual.count == expected.count else { return .infinity }
        let scale = max(expected.map(Swift.abs).max() ?? 0, 1e-300)
        return zip(actual, expected).map { Swift.abs($0 - $1) }.max().map { $0 / scale } ?? 0
    }

    /// Runs every case in `dtype`; returns the worst relative error of each compared quantity.
    static func errors(_ dtype: DType) throws -> [(key: String, error: Double)] {
        let fixture = dtype == .float64 ? PyTorchOpFixtures.float64 : PyTorchOpFixtures.float32
        var out: [(String, Double)] = []
        for c in cases {
            let inputs = c.inputs.map { leaf($0.shape, $0.salt, $0.div, dtype: dtype) }
            let y = try c.f(inputs)
            let w = Tensor(float64: values(y.count, 99), shape: y.shape).converted(to: dtype)
            try (y * w).sum().backward()
            out.append(("\(c.name).out", relativeError(y.scalars, try #require(fixture["\(c.name).out"]))))
            for (i, x) in inputs.enumerated() {
                let key = "\(c.name).grad\(i)"
                out.append((key, relativeError(try #require(x.grad).scalars, try #require(fixture[key], "\(key)"))))
            }
        }
        #expect(out.count == fixture.count, "every fixture entry is compared")
        return out
    }

    @Test func float64MatchesPyTorch() throws {
        for (key, error) in try Self.errors(.float64) { #expect(error <= 1e-14, "\(key): \(error)") }
    }

    @Test func float32MatchesPyTorch() throws {
        for (key, error) in try Self.errors(.float32) { #expect(error <= 1e-6, "\(key): \(error)") }
    }

    @Test func fixturesComeFromTorch() {
        #expect(PyTorchOpFixtures.torchVersion.hasPrefix("2."))
    }
}
