import TensorCore

/// The order in which epoch `e` visits the training samples: a pure function of `(seed, epoch)`.
///
/// The determinism contract rests on this: the permutation never depends on the world size, the rank,
/// or on anything that happened earlier in the run, so a run resumed at another world size sees the same
/// data in the same order. It is a Fisher–Yates shuffle driven by counter-based Philox draws on stream
/// `.shuffle`, key `(seed, a: epoch, b: 0)`, with unbiased bounded draws (Lemire's method on 64-bit words).
///
/// ```swift
/// let permutation = EpochPermutation(seed: 42)
/// let order = permutation.order(epoch: 3, of: split.trainIndices)   // dataset indices, epoch-3 order
/// ```
public struct EpochPermutation: Sendable, Hashable {
    public let seed: UInt64
    /// `false` gives the identity order in every epoch (for debugging and for order-sensitive tests).
    public let shuffle: Bool

    public init(seed: UInt64, shuffle: Bool = true) {
        self.seed = seed
        self.shuffle = shuffle
    }

    /// A permutation of `0..<count`: the positions in the order epoch `epoch` visits them.
    public func positions(epoch: Int, count: Int) -> [Int] {
        precondition(epoch >= 0 && epoch <= Int(UInt32.max), "epoch \(epoch) out of range")
        guard shuffle else { return Array(0..<count) }
        let key = RandomKey(seed: seed, stream: .shuffle, a: UInt32(epoch), b: 0)
        return counterBasedPermutation(count: count, key: key)
    }

    /// `indices` (typically `DataSplit.trainIndices`) in the order epoch `epoch` visits them.
    public func order(epoch: Int, of indices: [Int]) -> [Int] {
        guard shuffle else { return indices }
        return positions(epoch: epoch, count: indices.count).map { indices[$0] }
    }
}
