import TensorCore
import Autograd

/// A lookup table of `count` rows of `dimension` values, as PyTorch's `nn.Embedding(count, dimension)`:
/// ids (any shape; int64, or floats holding whole numbers) → ids.shape + [dimension]. The weight
/// (`weight`, (count, dimension)) is initialised N(0, std²) — PyTorch's default is std 1 — drawn from
/// the counter-based generator under `key` (at `b: 0`, as Linear's weight).
///
/// A learned positional embedding (GPT-2's `wpe`) is an `Embedding(context, dimension)` looked up at
/// the positions `Tensor.arange(T)`; its (T, C) rows broadcast over the batch when added to the
/// token embeddings. It needs no type of its own.
///
/// ```swift
/// let wte = Embedding(65, 64, key: key.with(a: 0)), wpe = Embedding(64, 64, key: key.with(a: 1))
/// let x = try wte(ids) + wpe(Tensor.arange(ids.shape[1]))   // ids (B, T) → (B, T, 64)
/// ```
public final class Embedding: Module {
    public let weight: Tensor   // (count, dimension)
    public let count: Int
    public let dimension: Int

    public init(_ count: Int, _ dimension: Int, std: Double = 1, key: RandomKey, dtype: DType = .float32) {
        precondition(count > 0 && dimension > 0, "Embedding(\(count), \(dimension)) needs at least one row and one column")
        self.count = count
        self.dimension = dimension
        weight = Tensor.normal([count, dimension], std: std, key: key.with(b: 0), dtype: dtype)
        super.init()
        register(parameter: weight, as: "weight")
    }

    /// The rows of `ids`; the gradient adds each position's row into the weight's, in position order.
    public override func forward(_ ids: Tensor) throws -> Tensor {
        try Tensor.embedding(ids, weight: weight)
    }

    public override var summary: String { "Embedding(\(count), \(dimension))" }
}
