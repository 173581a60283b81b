import TensorCore

/// Sums a stream of equally long float vectors ("leaves") in a balanced binary tree, with a stack of
/// O(log n) partial sums, as a binary counter does: after leaf k is pushed, two partial sums of equal
/// height merge (earlier one on the left) until the heights on the stack are strictly decreasing.
///
/// The remaining partial sums are added right to left, so the result is the canonical tree of the
/// determinism contract over all n leaves (`CanonicalTree`; for n = 2ᵏ the balanced tree
/// `T(left half) + T(right half)`). The trainer uses `BlockAccumulator`, which does the same per
/// fragment of a rank's block; this whole-range form remains for callers that fold everything locally.
///
/// ```swift
/// let sum = PairwiseAccumulator(length: p)
/// for g in microBatchGradients { sum.add(g) }
/// sum.result(into: total)
/// ```
public final class PairwiseAccumulator {
    public let length: Int
    private var buffers: [UnsafeMutableBufferPointer<Float>] = []   // reused across steps
    private var heights: [Int] = []                                  // height of each stacked partial sum
    public private(set) var leafCount = 0

    public init(length: Int) {
        self.length = length
    }

    deinit { for b in buffers { b.deallocate() } }

    /// Pushes one leaf (copied) and merges equal-height partial sums.
    public func add(_ leaf: UnsafePointer<Float>) {
        let top = heights.count
        if top == buffers.count { buffers.append(HugePages.allocateFloats(capacity: length)) }
        buffers[top].baseAddress!.update(from: leaf, count: length)
        heights.append(0)
        leafCount += 1
        while heights.count >= 2, heights[heights.count - 1] == heights[heights.count - 2] {
            let right = buffers[heights.count - 1].baseAddress!, left = buffers[heights.count - 2].baseAddress!
            for i in 0..<length { left[i] += right[i] }
            heights.removeLast()
            heights[heights.count - 1] += 1
        }
    }

    /// Pushes the elements of a float32 tensor of `length` elements.
    public func add(_ leaf: Tensor) {
        precondition(leaf.count == length && leaf.dtype == .float32, "leaf of \(leaf.count) \(leaf.dtype) for length \(length)")
        add(UnsafePointer(leaf.floats))
    }

    /// Writes the sum of all leaves since the last reset into `out` and resets.
    public func result(into out: UnsafeMutablePointer<Float>) {
        precondition(!heights.isEmpty, "result of an empty accumulator")
        var k = heights.count - 1
        out.update(from: buffers[k].baseAddress!, count: length)
        while k > 0 {
            k -= 1
            let left = buffers[k].baseAddress!
            for i in 0..<length { out[i] = left[i] + out[i] }
        }
        reset()
    }

    /// Forgets the pushed leaves (buffers are kept for reuse).
    public func reset() {
        heights.removeAll(keepingCapacity: true)
        leafCount = 0
    }
}
