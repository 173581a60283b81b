/// The summation tree of the determinism contract over the n micro-batch leaves of a step, fixed by
/// n alone:
///
///     T(lo, hi) = T(lo, lo + s) + T(lo + s, hi),   s = the largest power of two < hi − lo
///
/// For n = 2ᵏ this is the balanced tree; for other n the left child is always a balanced tree of the
/// largest power of two that fits, and what remains hangs on the right — exactly what a binary-counter
/// fold (`PairwiseAccumulator`) of leaves 0…n−1 computes. The shape of a node's subtree depends only on
/// its length, so any node can be folded on its own by a binary counter.
///
/// Ranks own contiguous blocks of leaves (`block(rank:worldSize:)`). A block is covered by its
/// *fragments*, the maximal nodes that lie inside it; every other node of the tree lies above the
/// fragments of all ranks (`TreeLayout`).
///
/// ```swift
/// let tree = CanonicalTree(leaves: 12)
/// tree.block(rank: 0, worldSize: 5)       // 0..<3  (12 = 3 + 3 + 2 + 2 + 2)
/// tree.fragments(of: 0..<3)               // [0..<2, 2..<3]
/// ```
public struct CanonicalTree: Sendable, Hashable {
    /// n, the number of leaves (micro-batches per step).
    public let leaves: Int

    public init(leaves: Int) {
        precondition(leaves >= 1, "a tree needs at least one leaf")
        self.leaves = leaves
    }

    /// The whole range of leaves, the root node.
    public var root: Range<Int> { 0..<leaves }

    /// Where node `lo..<hi` (at least two leaves) splits: `lo + s`, s the largest power of two < hi − lo.
    @inline(__always)
    public static func split(_ node: Range<Int>) -> Int {
        precondition(node.count >= 2, "a leaf does not split")
        let below = node.count - 1                       // s = the highest set bit of (length − 1)
        return node.lowerBound + (1 << (Int.bitWidth - 1 - below.leadingZeroBitCount))
    }

    /// Rank `rank`'s contiguous block of leaves: n = q·W + e, and ranks 0…e−1 take q + 1, the rest q.
    public func block(rank: Int, worldSize: Int) -> Range<Int> {
        precondition(worldSize >= 1 && worldSize <= leaves, "world size \(worldSize) outside 1...\(leaves)")
        precondition(rank >= 0 && rank < worldSize, "rank \(rank) outside 0..<\(worldSize)")
        let q = leaves / worldSize, extra = leaves % worldSize
        let start = rank * q + min(rank, extra)
        return start ..< start + q + (rank < extra ? 1 : 0)
    }

    /// The maximal nodes inside `block`, left to right. They cover the block exactly; there are at
    /// most about 2·log₂ n of them.
    public func fragments(of block: Range<Int>) -> [Range<Int>] {
        precondition(!block.isEmpty && block.lowerBound >= 0 && block.upperBound <= leaves, "block \(block) outside 0..<\(leaves)")
        var found: [Range<Int>] = []
        var pending = [root]                              // depth first, left child on top
        while let node = pending.popLast() {
            if block.lowerBound <= node.lowerBound && node.upperBound <= block.upperBound {
                found.append(node)
            } else if node.overlaps(block) {
                let mid = Self.split(node)
                pending.append(mid ..< node.upperBound)
                pending.append(node.lowerBound ..< mid)
            }
        }
        return found
    }

    /// True when the tree is the balanced tree over the ranks' blocks, each one node: n and W powers of
    /// two. Then recursive halving/doubling adds exactly the tree's pairs (the fast path).
    public func isAligned(worldSize: Int) -> Bool {
        leaves & (leaves - 1) == 0 && worldSize & (worldSize - 1) == 0 && worldSize <= leaves
    }
}
