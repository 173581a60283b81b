/// The gradient buckets of a flat gradient buffer, in the order backward finishes them: parameters
/// taken last to first (the last layer's gradients are ready first), consecutive ones grouped while
/// they fit in a bucket, the first bucket smaller so that communication starts early (PyTorch DDP's
/// `bucket_cap_mb` and first bucket). A parameter larger than a bucket is a bucket of its own. Since
/// parameters are consecutive in the flat buffer, every bucket is one element range.
///
/// ```swift
/// let buckets = GradientBuckets(segments: [0..<600, 600..<610, 610..<650, 650..<651],
///                               bucketElements: 500, firstBucketElements: 50)
/// buckets.ranges        // [610..<651, 600..<610, 0..<600]: the last two parameters first
/// buckets.bucket(ofParameter: 1)   // 1
/// ```
public struct GradientBuckets: Sendable, Equatable {
    /// Each bucket's elements, in reduction order.
    public let ranges: [Range<Int>]
    /// For each parameter (flat-buffer order), the bucket holding it.
    public let bucketOfParameter: [Int]
    /// How many parameters each bucket holds.
    public let parameterCounts: [Int]

    public init(segments: [Range<Int>], bucketElements: Int, firstBucketElements: Int) {
        precondition(bucketElements > 0 && firstBucketElements > 0, "bucket sizes must be positive")
        var ranges: [Range<Int>] = [], counts: [Int] = []
        var owner = [Int](repeating: 0, count: segments.count)
        var open: (range: Range<Int>, count: Int)?
        for p in segments.indices.reversed() {
            let segment = segments[p]
            let cap = ranges.isEmpty ? firstBucketElements : bucketElements
            if let o = open, o.range.count + segment.count > cap {
                ranges.append(o.range)
                counts.append(o.count)
                open = nil
            }
            open = open.map { (segment.lowerBound..<$0.range.upperBound, $0.count + 1) } ?? (segment, 1)
            owner[p] = ranges.count
        }
        if let o = open {
            ranges.append(o.range)
            counts.append(o.count)
        }
        self.ranges = ranges
        self.parameterCounts = counts
        self.bucketOfParameter = owner
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
        let end = segments.last?.upperBound ?? 0
        ranges = [0..<end]
        parameterCounts = [segments.count]
        bucketOfParameter = Array(repeating: 0, count: segments.count)
    }

    public func bucket(ofParameter p: Int) -> Int { bucketOfParameter[p] }
    public var count: Int { ranges.count }
}
