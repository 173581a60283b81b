import TensorCore

/// Per-tensor squared L2 norms over a flat buffer, in one grouping that does not depend on how the
/// buffer is sharded — what a layer-wise optimizer (LARS, LAMB) needs for its trust ratios.
///
/// The buffer is cut into *pieces*: each parameter's segment intersected with the blocks of
/// `GradientNorm.blockSize` elements counted from the buffer's start. A piece's sum of squares is
/// taken in Double over 8 interleaved lanes (element i of the piece into lane i mod 8, the lanes then
/// added pairwise), and a parameter's total is its pieces' sums added in order from zero. A piece
/// never crosses a block, so under optimizer-state sharding (`ParameterShards` cuts on block
/// boundaries) each piece lies in one rank's shard: that rank computes it, the ranks exchange their
/// pieces' sums in piece order, and every rank gets the unsharded totals bit for bit.
///
/// ```swift
/// let norms = TensorNorms(segments: [0..<1500, 1500..<1510], quantities: 2)
/// norms.pieces.count                         // 3: 0..<1024, 1024..<1500, 1500..<1510
/// norms.pieces(in: 0..<1024)                 // 0..<1 — the pieces a shard holds
/// ```
public struct TensorNorms {
    /// Every piece, in flat order: its parameter and its elements.
    public let pieces: [(parameter: Int, range: Range<Int>)]
    /// How many quantities are summed per piece (e.g. ‖p‖² and ‖g‖²).
    public let quantities: Int
    /// `sums[piece * quantities + q]`: piece's sum of squares of quantity q.
    public var sums: [Double]
    private let parameterCount: Int

    public init(segments: [Range<Int>], quantities: Int) {
        let b = GradientNorm.blockSize
        var pieces: [(parameter: Int, range: Range<Int>)] = []
        for (p, segment) in segments.enumerated() {
            var lo = segment.lowerBound
            while lo < segment.upperBound {
                let hi = min(segment.upperBound, (lo / b + 1) * b)
                pieces.append((p, lo..<hi))
                lo = hi
            }
        }
        self.pieces = pieces
        self.quantities = quantities
        parameterCount = segments.count
        sums = [Double](repeating: 0, count: pieces.count * quantities)
    }

    /// The indices of the pieces inside `shard` (which must start and end on piece boundaries, as a
    /// block-aligned shard does).
    public func pieces(in shard: Range<Int>) -> Range<Int> {
        let first = pieces.firstIndex { $0.range.lowerBound >= shard.lowerBound } ?? pieces.count
        var last = first
        while last < pieces.count, pieces[last].range.upperBound <= shard.upperBound { last += 1 }
        return first..<last
    }

    /// Whether every cut of `shards` falls on a piece boundary (true for `ParameterShards` with
    /// `alignment: GradientNorm.blockSize`).
    public func isAligned(_ shards: [Range<Int>]) -> Bool {
        let starts = Set(pieces.map(\.range.lowerBound) + [pieces.last?.range.upperBound ?? 0])
        return shards.allSatisfy { $0.isEmpty || starts.contains($0.lowerBound) && starts.contains($0.upperBound) }
    }

    /// Gives every rank every piece's sums: each rank filled its own pieces (`shards[rank]`), and
    /// `allGather` moves each rank's byte range to all.
    public mutating func exchange(shards: [Range<Int>], allGather: StateAllGather) throws {
        try exchange(pieces: shards.map { pieces(in: $0) }, allGather: allGather)
    }

    /// `exchange(shards:allGather:)` with each rank's piece range already found (`pieces(in:)`).
    public mutating func exchange(pieces ranges: [Range<Int>], allGather: StateAllGather) throws {
        let width = quantities * MemoryLayout<Double>.stride
        try sums.withUnsafeMutableBytes { bytes in
            try allGather(bytes) { r in ranges[r].lowerBound * width ..< ranges[r].upperBound * width }
        }
    }

    /// Each parameter's total of quantity `q` (its pieces' sums in order from zero); parameters with
    /// no piece give 0.
    public func totals(_ q: Int) -> [Double] {
        var totals = [Double](repeating: 0, count: parameterCount)
        for (k, piece) in pieces.enumerated() { totals[piece.parameter] += sums[k * quantities + q] }
        return totals
    }

    /// The sum of squares of `value(0) … value(count − 1)` over 8 interleaved lanes, in Double.
    @inline(__always)
    public static func squaredSum<T: TensorScalar>(count: Int, _ value: (Int) -> T) -> Double {
        var lanes = SIMD8<Double>(repeating: 0)
        var i = 0
        while i + 8 <= count {
            var x = SIMD8<Double>()
            for j in 0..<8 { x[j] = Double(value(i + j)) }
            lanes += x * x
            i += 8
        }
        while i < count {
            let x = Double(value(i))
            lanes[i & 7] += x * x
            i += 1
        }
        return ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3])) + ((lanes[4] + lanes[5]) + (lanes[6] + lanes[7]))
    }
}
