import TensorCore

/// Training data a trainer reads by global sample index: what a user's own data set conforms to.
///
/// The trainer owns the order: each epoch is a permutation of `0..<count` that depends on the seed
/// and the epoch only, a step takes the next `B` positions of it, and rank r reads the indices of its
/// micro-batches (`BatchPlan`) — so every rank must be able to read any sample, and `batch(indices:)`
/// must return the same batch for the same indices on every rank. That is what makes the bits of a
/// run independent of the world size. The indices are also the keys of dropout masks
/// (`SampleContext`), so a sample keeps its mask wherever it is computed.
///
/// ```swift
/// struct Squares: DataSource {
///     var count: Int { 1_000 }
///     func batch(indices: ArraySlice<Int>) throws -> (inputs: Tensor, targets: Tensor) {
///         let x = indices.map { Float($0) / 1_000 }
///         return (Tensor(x, shape: [x.count, 1]), Tensor(x.map { $0 * $0 }, shape: [x.count, 1]))
///     }
/// }
/// ```
public protocol DataSource {
    /// What `batch(indices:)` returns and the trainer's loss function takes (often inputs and targets).
    associatedtype Batch
    /// Samples in the training set.
    var count: Int { get }
    /// The samples at `indices` (each in `0..<count`), in that order, as one micro-batch.
    func batch(indices: ArraySlice<Int>) throws -> Batch
}

extension TabularDataset: DataSource {}

/// Rows of features with a label each, read by index: a table in memory (`TabularDataset`) or a packed
/// data set on disk (`PackedRows`). What the trainer of a run config and the evaluator read.
///
/// ```swift
/// func shapes(of rows: some LabeledRows) throws -> [Int] {
///     let (x, y) = try rows.batch(indices: [0, 1, 2])
///     return x.shape + y.shape   // [3, F, 3, 1] for binary labels
/// }
/// ```
public protocol LabeledRows: DataSource, Sendable where Batch == (inputs: Tensor, targets: Tensor) {
    var featureCount: Int { get }
    var task: TabularDataset.Task { get }
}

extension TabularDataset: LabeledRows {}
