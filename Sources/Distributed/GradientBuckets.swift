/// The gradient buckets of a flat gradient buffer, in the order backward finishes them: the parts in
/// which backward writes the gradients (`segments`: parameters, and big Linear weights in row panels;
/// `FlatParameters.gradientParts`) taken last to first, consecutive ones grouped while they fit in a
/// bucket, the first bucket smaller so that communication starts early (PyTorch DDP's `bucket_cap_mb`
/// and first bucket). A part larger than a bucket is a bucket of its own. Since parts are consecutive
/// in the flat buffer, every bucket is one element range.
///
/// ```swift
/// let buckets = GradientBuckets(segments: [0..<600, 600..<610, 610..<650, 650..<651],
///                               bucketElements: 500, firstBucketElements: 50)
/// buckets.ranges                   // [610..<651, 600..<610, 0..<600]: the last two parts first
/// buckets.bucket(containing: 605)  // 1
/// ```
public struct GradientBuckets: Sendable, Equatable {
    /// Each bucket's elements, in reduction order (from the end of the buffer to its start).
    public let ranges: [Range<Int>]

    public init(segments: [Range<Int>], bucketElements: Int, firstBucketElements: Int) {
        precondition(bucketElements > 0 && firstBucketElements > 0, "bucket sizes must be positive")
        var ranges: [Range<Int>] = []
        var open: Range<Int>?
        for segment in segments.reversed() {
            let cap = ranges.isEmpty ? firstBucketElements : bucketElements
            if let o = open, o.count + segment.count > cap {
                ranges.append(o)
                open = nil
            }
            open = open.map { segment.lowerBound..<$0.upperBound } ?? segment
        }
        if let open { ranges.append(open) }
        self.ranges = ranges
    }

    /// Buckets of float32 gradients sized in MB (10⁶ bytes), as `distributed.bucket_mb` and
    /// `first_bucket_mb` give them.
    public init(segments: [Range<Int>], bucketMB: Double, firstBucketMB: Double) {
        let floatsPerMB = 1e6 / Double(MemoryLayout<Float>.stride)
        self.init(segments: segments, bucketElements: max(1, Int(bucketMB * floatsPerMB)),
                  firstBucketElements: max(1, Int(firstBucketMB * floatsPerMB)))
    }

    /// One bucket holding everything (no overlap).
    public init(wholeBufferOf segments: [Range<Int>]) {
        ranges = [0..<(segments.last?.upperBound ?? 0)]
    }

    /// The bucket holding flat element `element`.
    public func bucket(containing element: Int) -> Int {
        // Ranges descend through the buffer: the first whose start is at or below the element.
        var (lo, hi) = (0, ranges.count - 1)
        while lo < hi {
            let mid = (lo + hi) / 2
            if ranges[mid].lowerBound <= element { hi = mid } else { lo = mid + 1 }
        }
        precondition(ranges[lo].contains(element), "element \(element) is in no bucket")
        return lo
    }

    public var count: Int { ranges.count }
}
