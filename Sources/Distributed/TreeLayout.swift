/// Who holds which part of the canonical tree when W ranks share its n leaves: every rank's fragments
/// (numbered left to right over all ranks) and the additions of the *upper tree*, the nodes above the
/// fragments, in an order that evaluates it. Everything here is a function of (n, W) alone, so every
/// rank computes the same layout without talking.
///
/// The upper tree is evaluated in place: `additions` lists pairs `(left, right)` of fragment numbers,
/// meaning "slot left = slot left + slot right"; a node's sum ends in the slot of its leftmost fragment,
/// and the root's in slot 0.
///
/// ```swift
/// let layout = TreeLayout(tree: CanonicalTree(leaves: 12), worldSize: 5)
/// layout.fragments                  // [0..<2, 2..<3, 3..<4, 4..<6, 6..<8, 8..<10, 10..<12]
/// layout.firstFragment              // [0, 2, 4, 5, 6, 7]  (rank r owns firstFragment[r]..<firstFragment[r+1])
/// layout.additions                  // [(0, 1)…]: the upper tree, children before parents
/// ```
public struct TreeLayout: Sendable, Hashable {
    public let tree: CanonicalTree
    public let worldSize: Int
    /// Every rank's fragments, rank 0's first; together they cover 0..<n in order.
    public let fragments: [Range<Int>]
    /// Rank r's fragments are numbers `firstFragment[r] ..< firstFragment[r + 1]` (W + 1 entries).
    public let firstFragment: [Int]
    /// The upper tree's additions in evaluation order: slot `left` += slot `right`.
    public let additions: [Addition]

    public struct Addition: Sendable, Hashable {
        public let left: Int
        public let right: Int
    }

    public init(tree: CanonicalTree, worldSize: Int) {
        precondition(worldSize >= 1 && worldSize <= tree.leaves, "world size \(worldSize) outside 1...\(tree.leaves)")
        self.tree = tree
        self.worldSize = worldSize
        var fragments: [Range<Int>] = []
        var first: [Int] = []
        for rank in 0..<worldSize {
            first.append(fragments.count)
            fragments += tree.fragments(of: tree.block(rank: rank, worldSize: worldSize))
        }
        first.append(fragments.count)
        self.fragments = fragments
        self.firstFragment = first
        additions = Self.upperTree(fragments)
    }

    /// Rank `rank`'s fragment numbers.
    public func fragmentNumbers(ofRank rank: Int) -> Range<Int> {
        firstFragment[rank] ..< firstFragment[rank + 1]
    }

    /// Rank `rank`'s block of leaves.
    public func block(ofRank rank: Int) -> Range<Int> {
        tree.block(rank: rank, worldSize: worldSize)
    }

    /// Walks the tree from the root down to the fragments and lists the additions bottom-up (post-order),
    /// each node's result kept in the slot of its leftmost fragment.
    private static func upperTree(_ fragments: [Range<Int>]) -> [Addition] {
        var numberAt: [Int: (end: Int, number: Int)] = [:]
        for (number, f) in fragments.enumerated() { numberAt[f.lowerBound] = (f.upperBound, number) }
        var additions: [Addition] = []
        /// Returns the slot holding the node's sum.
        func evaluate(_ node: Range<Int>) -> Int {
            if let hit = numberAt[node.lowerBound], hit.end == node.upperBound { return hit.number }
            let mid = CanonicalTree.split(node)
            let left = evaluate(node.lowerBound ..< mid), right = evaluate(mid ..< node.upperBound)
            additions.append(Addition(left: left, right: right))
            return left
        }
        let root = evaluate(0 ..< fragments.last!.upperBound)
        precondition(root == 0, "the root's sum must land in fragment 0")
        return additions
    }
}
