import TensorCore

/// Folds the leaves of one rank's block into the block's fragments, the maximal nodes of the
/// canonical tree inside it (`CanonicalTree.fragments(of:)`), each summed in the tree's own order.
///
/// One stack of O(log n) reusable buffers: finished fragments at the bottom, the fragment being filled
/// on top as a binary counter (two partial sums of equal height merge, the earlier one on the left).
/// When a fragment's last leaf arrives its partial sums are added right to left — together, exactly
/// `T(lo, hi)` of the canonical tree, whose shape depends only on `hi − lo`.
///
/// ```swift
/// let tree = CanonicalTree(leaves: 12)
/// let sum = BlockAccumulator(length: p, fragments: tree.fragments(of: tree.block(rank: 1, worldSize: 5)))
/// for g in myMicroBatchGradients { sum.add(g) }       // 3 leaves: fragments 3..<4 and 4..<6
/// try reduction.sum(fragments: sum.fragmentBuffers, …)
/// ```
public final class BlockAccumulator {
    public let length: Int
    /// The fragments this block folds into, left to right.
    public let fragments: [Range<Int>]
    private var buffers: [UnsafeMutableBufferPointer<Float>] = []   // reused across steps
    private var heights: [Int] = []              // heights of the current fragment's partial sums
    private var finished = 0                     // fragments complete (buffers 0..<finished)
    private var leavesInFragment = 0
    public private(set) var leafCount = 0

    public init(length: Int, fragments: [Range<Int>]) {
        precondition(!fragments.isEmpty, "a block has at least one fragment")
        self.length = length
        self.fragments = fragments
    }

    deinit { for b in buffers { b.deallocate() } }

    /// The leaves of the block, `fragments` end to end.
    public var leafTotal: Int { fragments.last!.upperBound - fragments[0].lowerBound }

    /// True once every leaf of the block has been added.
    public var isComplete: Bool { finished == fragments.count }

    /// The finished fragments' sums, left to right (valid until the next `add` after a `reset`).
    public var fragmentBuffers: [UnsafeMutablePointer<Float>] {
        precondition(isComplete, "the block has \(leafCount) of its \(leafTotal) leaves")
        return buffers[0..<finished].map { $0.baseAddress! }
    }

    /// Pushes one leaf (copied), merging partial sums as the canonical tree does.
    public func add(_ leaf: UnsafePointer<Float>) {
        precondition(!isComplete, "the block already has its \(leafTotal) leaves")
        let top = finished + heights.count
        if top == buffers.count { buffers.append(.allocate(capacity: max(length, 1))) }
        buffers[top].baseAddress!.update(from: leaf, count: length)
        heights.append(0)
        leafCount += 1
        leavesInFragment += 1
        while heights.count >= 2, heights[heights.count - 1] == heights[heights.count - 2] {
            let top = finished + heights.count - 1
            Self.addInPlace(left: buffers[top - 1].baseAddress!, right: buffers[top].baseAddress!, count: length)
            heights.removeLast()
            heights[heights.count - 1] += 1
        }
        if leavesInFragment == fragments[finished].count { closeFragment() }
    }

    /// Pushes the elements of a float32 tensor of `length` elements.
    public func add(_ leaf: Tensor) {
        precondition(leaf.count == length && leaf.dtype == .float32, "leaf of \(leaf.count) \(leaf.dtype) for length \(length)")
        add(UnsafePointer(leaf.floats))
    }

    /// Forgets the pushed leaves (buffers are kept for reuse).
    public func reset() {
        heights.removeAll(keepingCapacity: true)
        finished = 0
        leavesInFragment = 0
        leafCount = 0
    }

    /// The fragment's partial sums, of strictly decreasing height, added right to left into the first.
    private func closeFragment() {
        var k = finished + heights.count - 1
        while k > finished {
            let left = buffers[k - 1].baseAddress!, right = buffers[k].baseAddress!
            for i in 0..<length { right[i] = left[i] + right[i] }
            swapAt(k - 1, k)                       // the sum moves down without a copy
            k -= 1
        }
        heights.removeAll(keepingCapacity: true)
        finished += 1
        leavesInFragment = 0
    }

    private func swapAt(_ i: Int, _ j: Int) { buffers.swapAt(i, j) }

    @inline(__always)
    static func addInPlace(left: UnsafeMutablePointer<Float>, right: UnsafePointer<Float>, count: Int) {
        for i in 0..<count { left[i] = left[i] + right[i] }
    }
}
