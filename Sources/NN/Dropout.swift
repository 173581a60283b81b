import TensorCore
import Autograd

/// Inverted dropout: in train mode each element is zeroed with probability `p` and the survivors are
/// scaled by 1/(1 − p); in eval mode it is the identity.
///
/// The mask is not drawn from a stateful generator: element (i, f) keeps its value iff
/// `U(seed, dropout, step, sample[i]) at layer·2²⁴ + f ≥ p`, so a sample's mask does not depend on
/// which rank computes it or on the micro-batch it falls in, and recomputing a forward (activation
/// checkpointing) reproduces it. An input of rank > 2, (N, …), is dropped as (N, F) with f the
/// element's index within its sample (row-major over the other axes): sample i of a (B, T, C)
/// activation is a sequence, and its B·T·C mask is the (B, T·C) mask.
///
/// ```swift
/// let drop = Dropout(p: 0.3, layerID: 3, seed: 7)
/// ```
public final class Dropout: Module {
    public let p: Double
    /// Distinguishes this layer's masks from other dropout layers'.
    public let layerID: Int
    /// Seed used when no `SampleContext` is set.
    public let seed: UInt64
    /// Calls made without a `SampleContext` (the mask's step then); `Checkpointed` rewinds it for a
    /// recompute so that the replayed forward draws the same masks.
    var uncontextualisedCalls = 0

    public init(p: Double, layerID: Int, seed: UInt64 = 0) {
        precondition(p >= 0 && p < 1, "dropout probability \(p) outside [0, 1)")
        precondition(layerID >= 0 && layerID < 1024, "dropout layer id \(layerID) outside 0..<1024")
        self.p = p
        self.layerID = layerID
        self.seed = seed
        super.init()
    }

    public override func forward(_ input: Tensor) throws -> Tensor {
        guard isTraining, p > 0 else { return input }
        let features = input.shape.dropFirst().reduce(1, *)
        guard input.rank >= 2, features < 1 << 24 else {
            throw AutogradError.invalidArgument(op: "Dropout", message: "expects (N, …) input with fewer than 2^24 elements per sample, got \(input.shape)")
        }
        let mask = mask(rows: input.shape[0], features: features, dtype: input.dtype)
        return try input * (input.rank == 2 ? mask : mask.view(input.shape))
    }

    /// The scaled keep-mask (N, F): 1/(1 − p) where kept, 0 where dropped.
    public func mask(rows: Int, features: Int, dtype: DType) -> Tensor {
        let context = SampleContext.current
        let step: Int
        if let context { step = context.step } else { step = uncontextualisedCalls; uncontextualisedCalls += 1 }
        let baseKey = RandomKey(seed: context?.seed ?? seed, stream: .dropout, a: UInt32(truncatingIfNeeded: step))
        let mask = Tensor(uninitializedShape: [rows, features], dtype: .float32)
        let first = UInt64(layerID) << 24
        for i in 0..<rows {
            let sample = context.map { $0.sampleIndices[i] } ?? i
            baseKey.with(b: UInt32(truncatingIfNeeded: sample))
                .fillKeepMask(mask.floats + i * features, count: features, first: first,
                              dropProbability: Float(p), scale: Float(1 / (1 - p)))
        }
        if dtype != .float32 { return mask.converted(to: dtype) }
        return mask
    }

    public override var summary: String { "Dropout(p: \(p))" }
}
