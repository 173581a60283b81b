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
/// try DeterministicAllReduce().sum(fragments: sum.fragmentBuffers, leaves: 12, into: gradients, over: comm)
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
        push().apply(leaf, elements: 0..<length)
    }

    /// Accounts for one more leaf and returns the copies and additions that fold it in, without doing
    /// them: `apply` them to every element (in any number of ranges, in any order, on any thread)
    /// before the buffers are read. Each element's operations are those of `add`, so folding a leaf
    /// bucket by bucket while backward is still writing it gives the same bits.
    public func push() -> LeafFold {
        precondition(!isComplete, "the block already has its \(leafTotal) leaves")
        var top = finished + heights.count
        if top == buffers.count { buffers.append(HugePages.allocateFloats(capacity: length)) }
        var fold = LeafFold(destination: buffers[top].baseAddress!)
        heights.append(0)
        leafCount += 1
        leavesInFragment += 1
        while heights.count >= 2, heights[heights.count - 1] == heights[heights.count - 2] {
            top = finished + heights.count - 1
            fold.additions.append((buffers[top - 1].baseAddress!, buffers[top].baseAddress!, intoLeft: true))
            heights.removeLast()
            heights[heights.count - 1] += 1
        }
        if leavesInFragment == fragments[finished].count { closeFragment(&fold) }
        return fold
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
    private func closeFragment(_ fold: inout LeafFold) {
        var k = finished + heights.count - 1
        while k > finished {
            fold.additions.append((buffers[k - 1].baseAddress!, buffers[k].baseAddress!, intoLeft: false))
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

/// The work of folding one leaf into a `BlockAccumulator` (`push()`): copy the leaf into a buffer,
/// then add partial sums pairwise, left operand first. Every operation is elementwise, so it may run
/// over the whole buffer at once or range by range.
public struct LeafFold {
    let destination: UnsafeMutablePointer<Float>
    /// `left + right`, stored into the left operand or the right one.
    var additions: [(left: UnsafeMutablePointer<Float>, right: UnsafeMutablePointer<Float>, intoLeft: Bool)] = []

    init(destination: UnsafeMutablePointer<Float>) {
        self.destination = destination
    }

    /// Folds elements `range` of `leaf`.
    public func apply(_ leaf: UnsafePointer<Float>, elements range: Range<Int>) {
        let lo = range.lowerBound, n = range.count
        (destination + lo).update(from: leaf + lo, count: n)
        for (left, right, intoLeft) in additions {
            let l = left + lo, r = right + lo
            if intoLeft {
                for i in 0..<n { l[i] = l[i] + r[i] }
            } else {
                for i in 0..<n { r[i] = l[i] + r[i] }
            }
        }
    }
}
