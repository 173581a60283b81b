import TensorCore
import Autograd

/// `y = x·Wᵀ + b`: x (N, in) → y (N, out).
///
/// Initialised as PyTorch does by default: W ~ U(−1/√in, 1/√in) (Kaiming-uniform with a = √5) and
/// b ~ U(−1/√in, 1/√in), drawn from the counter-based generator under `key` (W at `b: 0`, bias at `b: 1`).
///
/// ```swift
/// let layer = Linear(20, 64, key: RandomKey(seed: 7, stream: .initialization, a: 0))
/// let y = try layer(x)   // (N, 64)
/// ```
public final class Linear: Module {
    public let weight: Tensor   // (out, in)
    public let bias: Tensor?    // (out)
    public let inFeatures: Int
    public let outFeatures: Int

    public init(_ inFeatures: Int, _ outFeatures: Int, bias: Bool = true, key: RandomKey, dtype: DType = .float32) {
        self.inFeatures = inFeatures
        self.outFeatures = outFeatures
        let bound = 1 / Double(inFeatures).squareRoot()
        weight = Tensor.uniform([outFeatures, inFeatures], low: -bound, high: bound, key: key.with(b: 0), dtype: dtype)
        self.bias = bias ? Tensor.uniform([outFeatures], low: -bound, high: bound, key: key.with(b: 1), dtype: dtype) : nil
        super.init()
        register(parameter: weight, as: "weight")
        if let b = self.bias { register(parameter: b, as: "bias") }
    }

    public override func forward(_ input: Tensor) throws -> Tensor {
        try Tensor.linear(input, weight: weight, bias: bias)
    }

    public override var summary: String { "Linear(\(inFeatures) → \(outFeatures)\(bias == nil ? ", no bias" : ""))" }
}
