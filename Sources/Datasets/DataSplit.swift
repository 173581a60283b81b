import TensorCore

/// A deterministic train/validation split: a pure function of `(count, validationFraction, seed)` and
/// the run's `SampleOrder`.
///
/// The split draws its own counter-based permutation (stream `.split`), so that it never moves when the
/// shuffle, the world size or anything else about the run changes: a Fisher–Yates permutation, or
/// with `order: .keyed` a `KeyedPermutation` (whose membership test a packed data set can make row by
/// row). The first `round(count × validationFraction)` positions of that permutation are the
/// validation rows, the rest train; both lists are sorted so that they read as plain row numbers.
///
/// ```swift
/// let split = try DataSplit(count: data.count, validationFraction: 0.2, seed: 7)
/// let (train, validation) = split.apply(to: data)
/// ```
public struct DataSplit: Sendable, Hashable, Codable {
    /// Row indices of the training rows, ascending.
    public let trainIndices: [Int]
    /// Row indices of the validation rows, ascending.
    public let validationIndices: [Int]

    public init(count: Int, validationFraction: Double, seed: UInt64, order: SampleOrder = .shuffle) throws(DatasetError) {
        let validationCount = try Self.validationCount(count: count, validationFraction: validationFraction)
        let key = RandomKey(seed: seed, stream: .split)
        switch order {
        case .shuffle:
            let permutation = counterBasedPermutation(count: count, key: key)
            validationIndices = permutation[..<validationCount].sorted()
            trainIndices = permutation[validationCount...].sorted()
        case .keyed, .blocks:
            let isValidation = Self.keyedMembership(count: count, validation: validationCount, seed: seed)
            validationIndices = (0..<count).filter(isValidation)
            trainIndices = (0..<count).filter { !isValidation($0) }
        }
    }

    /// How many of `count` rows validate: `round(count × validationFraction)`, at least 1 for a
    /// positive fraction, and never all of them.
    public static func validationCount(count: Int, validationFraction: Double) throws(DatasetError) -> Int {
        guard count > 0 else { throw .invalidSplit("cannot split an empty data set") }
        guard validationFraction >= 0, validationFraction < 1 else {
            throw .invalidSplit("validation fraction \(validationFraction) is not in [0, 1)")
        }
        var validationCount = Int((Double(count) * validationFraction).rounded())
        // A small positive fraction of a small data set still asks for a validation set.
        if validationFraction > 0 { validationCount = max(validationCount, 1) }
        guard validationCount < count else {
            throw .invalidSplit("validation fraction \(validationFraction) of \(count) rows leaves no training rows")
        }
        return validationCount
    }

    /// Whether row `i` validates under the keyed split of `count` rows with `validation` of them held
    /// out: one evaluation of the split's permutation, so a data set too large to hold can be split
    /// row by row as it is read.
    public static func keyedMembership(count: Int, validation: Int, seed: UInt64) -> @Sendable (Int) -> Bool {
        let permutation = KeyedPermutation(count: count, key: RandomKey(seed: seed, stream: .split))
        return { permutation.position(of: $0) < validation }
    }

    /// The training and validation rows of `dataset` (which must have the `count` the split was made for).
    public func apply(to dataset: TabularDataset) -> (train: TabularDataset, validation: TabularDataset) {
        precondition(dataset.count == trainIndices.count + validationIndices.count,
                     "split made for \(trainIndices.count + validationIndices.count) rows applied to \(dataset.count)")
        return (dataset.subset(trainIndices), dataset.subset(validationIndices))
    }
}
