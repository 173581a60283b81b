/// The gradient buckets of a flat gradient buffer, in the order backward finishes them: the parts in
/// which backward writes the gradients (`segments`: parameters, and big Linear weights in row panels;
/// `FlatParameters.gradientParts`) taken last to first, consecutive ones grouped into a bucket until
/// it reaches the bucket size (PyTorch DDP's rule: a bucket may pass the size by its last part). Since
/// parts are consecutive in the flat buffer, every bucket is one element range.
///
/// Three cuts keep buckets from waiting:
/// - The first bucket is small (`firstBucketElements`), as in PyTorch DDP (`bucket_cap_mb` and its
///   1 MB first bucket), so that communication starts early.
/// - A bucket holding at least that much is closed where its layer starts (`layerStarts`,
///   `FlatParameters.moduleStarts`): the layer below finishes its gradients only after its input's
///   gradient GEMM, and one bias of it would hold the whole bucket back that long.
/// - The first layer's parts — the last gradients backward finishes, with nothing left to hide their
///   reduction — are cut by the first bucket's size, so that they are reduced panel by panel beside
///   that layer's GEMMs rather than after them (with no layers given: what would be the last bucket).
///
/// docs/scaling.md, "Overlap and ZeRO-1", has the measurements.
///
/// ```swift
/// let buckets = GradientBuckets(segments: [0..<30, 30..<60, 60..<90, 90..<400, 400..<410],
///                               bucketElements: 500, firstBucketElements: 50)
/// buckets.ranges                  // [90..<410, 30..<90, 0..<30]: a first bucket closed at 320,
///                                 // then 0..<90, the last, cut again by 50
/// buckets.bucket(containing: 45)  // 1
/// ```
public struct GradientBuckets: Sendable, Equatable {
    /// Each bucket's elements, in reduction order (from the end of the buffer to its start).
    public let ranges: [Range<Int>]

    public init(segments: [Range<Int>], bucketElements: Int, firstBucketElements: Int, layerStarts: Set<Int> = []) {
        precondition(bucketElements > 0 && firstBucketElements > 0, "bucket sizes must be positive")
        // The tail, finished last: the first layer's parts, or what would be the last bucket.
        let secondLayer = layerStarts.min() ?? 0
        var ranges = Self.group(segments.filter { $0.lowerBound >= secondLayer }, firstCap: firstBucketElements,
                                cap: bucketElements, layerStarts: layerStarts)
        var tail = segments.filter { $0.lowerBound < secondLayer }
        if tail.isEmpty, let last = ranges.popLast() { tail = segments.filter { last.contains($0.lowerBound) } }
        ranges += Self.group(tail, firstCap: firstBucketElements, cap: firstBucketElements, layerStarts: layerStarts)
        self.ranges = ranges
    }

    /// `segments` last to first, each group closed once it reaches `firstCap` (the first) or `cap`
    /// (the others); a group of at least `firstCap` that starts a layer is closed there.
    private static func group(_ segments: [Range<Int>], firstCap: Int, cap: Int, layerStarts: Set<Int>) -> [Range<Int>] {
        var groups: [Range<Int>] = []
        var open: Range<Int>?
        for segment in segments.reversed() {
            if let o = open, layerStarts.contains(o.lowerBound), o.count >= firstCap {
                groups.append(o)
                open = nil
            }
            let grown = open.map { segment.lowerBound..<$0.upperBound } ?? segment
            if grown.count >= (groups.isEmpty ? firstCap : cap) {
                groups.append(grown)
                open = nil
            } else {
                open = grown
            }
        }
        if let open { groups.append(open) }
        return groups
    }

    /// Buckets of float32 gradients sized in MB (10⁶ bytes), as `distributed.bucket_mb` and
    /// `first_bucket_mb` give them.
    public init(segments: [Range<Int>], bucketMB: Double, firstBucketMB: Double, layerStarts: Set<Int> = []) {
        let floatsPerMB = 1e6 / Double(MemoryLayout<Float>.stride)
        self.init(segments: segments, bucketElements: max(1, Int(bucketMB * floatsPerMB)),
                  firstBucketElements: max(1, Int(firstBucketMB * floatsPerMB)), layerStarts: layerStarts)
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
