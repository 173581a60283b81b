import TensorCore

/// How a run draws its validation split and orders each epoch's training samples (`data.order`).
/// Both are pure functions of the seed (and the epoch), never of the world size; the two versions
/// differ in what they hold in memory.
public enum SampleOrder: String, Sendable, Hashable, CaseIterable, Codable {
    /// Fisher–Yates permutations held in memory, 8 bytes a sample on every rank: the order every run
    /// had before `keyed` existed, and still the default, so that their bits do not move.
    case shuffle
    /// Keyed bijections computed one sample at a time (`KeyedPermutation`), O(1) memory: the order of
    /// data sets too large to hold, and the default for packed data.
    case keyed
    /// The keyed split, and epochs in keyed windows of keyed blocks of consecutive rows
    /// (`BlockWindowOrder`): O(1) memory, and a reader of a pack fetches a block in one read.
    case blocks

    /// The validation and training rows of a data set of `count` rows, each ascending: the rows the
    /// split's permutation puts first (`round(count × fraction)` of them, at least one for a positive
    /// fraction) validate, the rest train.
    public func split(count: Int, validationFraction: Double, seed: UInt64) throws(DatasetError) -> DataSplit {
        try DataSplit(count: count, validationFraction: validationFraction, seed: seed, order: self)
    }

    /// Epoch `epoch`'s visiting order of `count` training samples, as positions → sample indices.
    /// `shuffle: false` keeps the data's own order.
    public func epoch(_ epoch: Int, count: Int, seed: UInt64, shuffle: Bool = true) -> any EpochOrder {
        guard shuffle, self != .shuffle else { return EpochPermutation(seed: seed, shuffle: shuffle).positions(epoch: epoch, count: count) }
        precondition(epoch >= 0 && epoch <= Int(UInt32.max), "epoch \(epoch) out of range")
        if self == .blocks { return BlockWindowOrder(count: count, seed: seed, epoch: epoch) }
        return KeyedPermutation(count: count, key: RandomKey(seed: seed, stream: .shuffle, a: UInt32(epoch), b: 1))
    }
}

/// An epoch's visiting order: the training sample at each position.
public protocol EpochOrder: Sendable {
    func sample(at position: Int) -> Int
}

extension Array: EpochOrder where Element == Int {
    public func sample(at position: Int) -> Int { self[position] }
}

extension KeyedPermutation: EpochOrder {
    public func sample(at position: Int) -> Int { index(at: position) }
}
