import Testing
import Foundation
import TensorCore
import Distributed

/// The pieces of bucketed overlap and optimizer sharding: bucket layout, shard layout, folding a leaf
/// range by range, the communication thread, and the synchronizer's bits against one reduction.
struct BucketedReductionTests {
    static func segments(_ sizes: [Int]) -> [Range<Int>] {
        var offset = 0
        return sizes.map { n in defer { offset += n }; return offset..<offset + n }
    }

    @Test func bucketsTileTheBufferInReverseParameterOrder() {
        for (sizes, bucket, first) in [([600, 10, 40, 1], 500, 50), ([5, 5, 5, 5, 5], 10, 5), ([100], 1, 1),
                                        ([3, 1000, 3, 1000, 3], 1004, 4), ([7, 9, 11, 13], 1_000_000, 1_000_000)] {
            let segs = Self.segments(sizes)
            let b = GradientBuckets(segments: segs, bucketElements: bucket, firstBucketElements: first)
            // Contiguous, in reverse order, covering everything once.
            #expect(b.ranges.first?.upperBound == segs.last!.upperBound)
            #expect(b.ranges.last?.lowerBound == 0)
            for (x, y) in zip(b.ranges, b.ranges.dropFirst()) { #expect(y.upperBound == x.lowerBound) }
            // Cut only between segments; `bucket(containing:)` finds every element's bucket.
            for s in segs {
                #expect(b.bucket(containing: s.lowerBound) == b.bucket(containing: s.upperBound - 1))
            }
            for i in 0..<segs.last!.upperBound { #expect(b.ranges[b.bucket(containing: i)].contains(i)) }
            // A bucket is closed once it reaches its cap (PyTorch DDP's rule), so without the segment
            // added last — its lowest — it is under it: the first bucket's cap for the first and the
            // last (the start of the buffer, finished last, is cut like the first).
            for (k, r) in b.ranges.enumerated() {
                let lowest = segs.first { $0.lowerBound == r.lowerBound }!
                #expect(r.count - lowest.count < (k == 0 || k == b.count - 1 ? first : max(first, bucket)), "\(sizes) bucket \(k)")
            }
        }
        let b = GradientBuckets(segments: Self.segments([600, 10, 40, 1]), bucketElements: 500, firstBucketElements: 50)
        #expect(b.ranges == [600..<651, 0..<600])
        // The last bucket, 0..<90 grouped by 500, is cut again by 50.
        let tail = GradientBuckets(segments: Self.segments([30, 30, 30, 310, 10]), bucketElements: 500, firstBucketElements: 50)
        #expect(tail.ranges == [90..<410, 30..<90, 0..<30])
        #expect(tail.bucket(containing: 45) == 1)
        // Four layers (starting at 0, 600, 810, 920): a bucket is closed where its layer starts once it
        // holds a first bucket's worth (810..<920 would otherwise wait for the layer below: 600..<920),
        // and the first layer, finished last, is cut by the first bucket's size.
        let sizes = [600, 200, 10, 100, 10, 40, 10]
        let layers = GradientBuckets(segments: Self.segments(sizes), bucketElements: 500, firstBucketElements: 50,
                                     layerStarts: [600, 810, 920])
        #expect(layers.ranges == [920..<970, 810..<920, 600..<810, 0..<600])
        let firstLayerOnly = GradientBuckets(segments: Self.segments(sizes), bucketElements: 500, firstBucketElements: 50,
                                             layerStarts: [600])
        #expect(firstLayerOnly.ranges == [920..<970, 600..<920, 0..<600])
        #expect(GradientBuckets(wholeBufferOf: Self.segments([3, 4])).ranges == [0..<7])
    }

    @Test func shardsTileTheBufferOnBlockBoundaries() {
        for count in [0, 1, 1023, 1024, 1025, 10_000, 3_300_000] {
            for w in 1...9 {
                let shards = ParameterShards(count: count, worldSize: w, alignment: 1024)
                var next = 0
                for r in 0..<w {
                    let s = shards.shard(ofRank: r)
                    #expect(s.lowerBound == next, "count \(count) W \(w) rank \(r)")
                    #expect(s.isEmpty || s.lowerBound % 1024 == 0)
                    #expect(s.upperBound % 1024 == 0 || s.upperBound == count)
                    next = s.upperBound
                }
                #expect(next == count)
                // Balanced to a block (plus the partial last block).
                let sizes = (0..<w).map { shards.shard(ofRank: $0).count }
                #expect(sizes.max()! - sizes.min()! < 2 * 1024)
            }
        }
        #expect(ParameterShards(count: 10_000, worldSize: 3, alignment: 1024).shard(ofRank: 2) == 7168..<10_000)
    }

    @Test func foldingRangeByRangeIsFoldingWhole() {
        let length = 97
        let tree = CanonicalTree(leaves: 11)
        for (rank, w) in [(0, 1), (1, 3), (2, 4), (0, 5)] {
            let fragments = tree.fragments(of: tree.block(rank: rank, worldSize: w))
            let whole = BlockAccumulator(length: length, fragments: fragments)
            let pieces = BlockAccumulator(length: length, fragments: fragments)
            let leaves = fragments[0].lowerBound..<fragments.last!.upperBound
            for j in leaves {
                let leaf = AllReduceTests.leaf(j, length: length)
                leaf.withUnsafeBufferPointer { whole.add($0.baseAddress!) }
                let fold = pieces.push()
                // Uneven ranges, last first (as buckets are).
                leaf.withUnsafeBufferPointer { p in
                    for r in [90..<97, 41..<90, 40..<41, 0..<40] { fold.apply(p.baseAddress!, elements: r) }
                }
            }
            for (a, b) in zip(whole.fragmentBuffers, pieces.fragmentBuffers) {
                #expect((0..<length).allSatisfy { a[$0].bitPattern == b[$0].bitPattern }, "rank \(rank) of \(w)")
            }
        }
    }

    @Test func communicationThreadRunsJobsInOrderAndReportsTheFirstError() throws {
        struct Boom: Error {}
        let thread = CommunicationThread(name: "test-comm")
        defer { thread.stop() }
        let log = LockedLog()
        for k in 0..<50 { thread.submit { log.append(k) } }
        try thread.wait()
        #expect(log.values == Array(0..<50))
        thread.submit { log.append(100) }
        thread.submit { throw Boom() }
        thread.submit { log.append(101) }      // dropped: the queue failed before it
        #expect(throws: Boom.self) { try thread.wait() }
        #expect(log.values.suffix(1) == [100])
        // Usable again after the error was reported.
        thread.submit { log.append(102) }
        try thread.wait()
        #expect(log.values.last == 102)
    }

    /// Every rank's micro-batch gradients, folded and reduced by a synchronizer with `buckets`,
    /// `overlap` and `sharded` as given: the summed elements each rank owns, as bit patterns.
    static func synchronize(n: Int, w: Int, segmentSizes: [Int], buckets: GradientBuckets?, overlap: Bool,
                            sharded: Bool, mode: ReductionMode = .deterministic) throws -> [[UInt32?]] {
        let length = segmentSizes.reduce(0, +)
        let segs = Self.segments(segmentSizes)
        return try SimulatedWorld.run(ranks: w) { comm in
            let tree = CanonicalTree(leaves: n)
            let block = tree.block(rank: comm.rank, worldSize: w)
            let gradients = Tensor.zeros([length])
            let shards = sharded ? ParameterShards(count: length, worldSize: w, alignment: 16) : nil
            let sync = GradientSynchronizer(mode: mode, communicator: comm, gradients: gradients, leaves: n,
                                            fragments: tree.fragments(of: block),
                                            buckets: buckets ?? GradientBuckets(wholeBufferOf: segs),
                                            overlap: overlap, shards: shards)
            for j in block {
                let last = j == block.upperBound - 1
                let reports = sync.beginBackward(isLast: last)
                let leaf = AllReduceTests.leaf(j, length: length)
                // "Backward": parameters written last to first, each in up to three parts (as
                // `linear` writes a weight in row panels), every part reported as soon as it is final.
                for p in segs.indices.reversed() {
                    let s = segs[p]
                    var cuts = [s.lowerBound, s.upperBound]
                    if s.count > 2 { cuts.insert(contentsOf: [s.lowerBound + s.count / 3, s.lowerBound + s.count / 2], at: 1) }
                    for (lo, hi) in zip(cuts, cuts.dropFirst()).reversed() {
                        for i in lo..<hi { gradients.floats[i] = leaf[i] }
                        if reports { sync.elementsFinal(lo..<hi) }
                    }
                }
                sync.endBackward(isLast: last)
            }
            try sync.finish()
            let owned = sync.ownedElements
            return (0..<length).map { owned.contains($0) ? gradients.floats[$0].bitPattern : nil }
        }
    }

    @Test(arguments: [(8, 1), (8, 2), (8, 4), (8, 8), (12, 5), (7, 3), (6, 6)])
    func bucketsOverlapAndShardsGiveTheBitsOfOneReduction(n: Int, w: Int) throws {
        let sizes = [300, 7, 64, 1, 129, 40]
        let reference = try Self.synchronize(n: n, w: 1, segmentSizes: sizes, buckets: nil, overlap: false, sharded: false)[0]
        let fine = GradientBuckets(segments: Self.segments(sizes), bucketElements: 100, firstBucketElements: 10)
        for (buckets, overlap, sharded) in [(nil, false, false), (fine, true, false), (nil, false, true), (fine, true, true)] {
            let ranks = try Self.synchronize(n: n, w: w, segmentSizes: sizes, buckets: buckets, overlap: overlap, sharded: sharded)
            var covered = 0
            for (r, values) in ranks.enumerated() {
                for (i, v) in values.enumerated() where v != nil {
                    #expect(v == reference[i], "n \(n) W \(w) rank \(r) element \(i) overlap \(overlap) sharded \(sharded)")
                    covered += 1
                }
            }
            // Unsharded every rank has everything; sharded the ranks' elements tile the buffer.
            #expect(covered == (sharded ? 1 : w) * sizes.reduce(0, +))
        }
    }

    @Test func overlapWithTheMPIModeMatchesItsSingleReduction() throws {
        let sizes = [300, 7, 64, 1, 129, 40]
        let fine = GradientBuckets(segments: Self.segments(sizes), bucketElements: 100, firstBucketElements: 10)
        let one = try Self.synchronize(n: 8, w: 4, segmentSizes: sizes, buckets: nil, overlap: false, sharded: false, mode: .mpi)
        let bucketed = try Self.synchronize(n: 8, w: 4, segmentSizes: sizes, buckets: fine, overlap: true, sharded: false, mode: .mpi)
        #expect(one == bucketed)
    }
}

final class LockedLog: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [Int] = []
    func append(_ k: Int) { lock.lock(); items.append(k); lock.unlock() }
    var values: [Int] { lock.lock(); defer { lock.unlock() }; return items }
}
