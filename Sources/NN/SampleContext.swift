import TensorCore

/// Which samples a forward pass is computing, so that random layers can key their draws by them.
///
/// The determinism contract keys every dropout mask by `(seed, step, global sample index, layer)`:
/// a sample gets the same mask whichever rank or accumulation step computes it. The trainer sets the
/// context around each micro-batch's forward; without one, a dropout layer keys by its own call count
/// and the row index (deterministic, but not tied to samples).
///
/// ```swift
/// let y = try SampleContext.$current.withValue(SampleContext(seed: 7, step: t, sampleIndices: ids)) {
///     try model(x)
/// }
/// ```
public struct SampleContext: Sendable {
    public let seed: UInt64
    public let step: Int
    /// Global dataset index of each row of the batch.
    public let sampleIndices: [Int]

    public init(seed: UInt64, step: Int, sampleIndices: [Int]) {
        self.seed = seed
        self.step = step
        self.sampleIndices = sampleIndices
    }

    @TaskLocal public static var current: SampleContext?
}
