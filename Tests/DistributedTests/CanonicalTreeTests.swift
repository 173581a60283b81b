import Testing
import Foundation
import TensorCore
import Distributed

/// The canonical tree over any n leaves, and the distributed sum on any W ≤ n ranks, against a
/// single-rank evaluation of the tree written here from its definition.
struct CanonicalTreeTests {
    /// The contract's tree from its definition: T(lo, hi) = T(lo, lo + s) + T(lo + s, hi), s the
    /// largest power of two < hi − lo. Written independently of `CanonicalTree.split`.
    static func reference(_ leaves: [[Float]], _ node: Range<Int>) -> [Float] {
        if node.count == 1 { return leaves[node.lowerBound] }
        var s = 1
        while s * 2 < node.count { s *= 2 }
        let l = reference(leaves, node.lowerBound ..< node.lowerBound + s)
        let r = reference(leaves, node.lowerBound + s ..< node.upperBound)
        return zip(l, r).map { $0 + $1 }
    }

    /// A wrong tree for comparison: halves by count (the balanced tree for powers of two only).
    static func halving(_ leaves: [[Float]], _ node: Range<Int>) -> [Float] {
        if node.count == 1 { return leaves[node.lowerBound] }
        let mid = node.lowerBound + node.count / 2
        return zip(halving(leaves, node.lowerBound ..< mid), halving(leaves, mid ..< node.upperBound)).map { $0 + $1 }
    }

    static func sequential(_ leaves: [[Float]]) -> [Float] {
        leaves.dropFirst().reduce(leaves[0]) { zip($0, $1).map { $0 + $1 } }
    }

    /// Leaves whose elements span ten orders of magnitude with both signs, so that another grouping of
    /// the same additions almost always rounds differently somewhere.
    static func leaves(_ n: Int, length: Int, seed: UInt64) -> [[Float]] {
        (0..<n).map { j in
            let key = RandomKey(seed: seed, stream: .syntheticData, a: UInt32(j))
            return (0..<length).map { Float(key.normal(at: UInt64($0)) * pow(10, Double(($0 * 7 + j * 3) % 11) - 5)) }
        }
    }

    static func bits(_ x: [Float]) -> [UInt32] { x.map(\.bitPattern) }

    /// Sums `leaves` on `world` simulated ranks the way the trainer does; every rank's result.
    static func distributedSum(_ leaves: [[Float]], world: Int, allReduce: @escaping @Sendable () -> DeterministicAllReduce) throws -> [[Float]] {
        let n = leaves.count, length = leaves[0].count
        return try SimulatedWorld.run(ranks: world, stackSize: 1 << 20) { comm -> [Float] in
            let tree = CanonicalTree(leaves: n)
            let block = tree.block(rank: comm.rank, worldSize: world)
            let acc = BlockAccumulator(length: length, fragments: tree.fragments(of: block))
            for j in block { leaves[j].withUnsafeBufferPointer { acc.add($0.baseAddress!) } }
            var out = [Float](repeating: .nan, count: length)
            try out.withUnsafeMutableBufferPointer {
                try allReduce().sum(fragments: acc.fragmentBuffers, leaves: n, into: $0, over: comm)
            }
            return out
        }
    }

    @Test func splitsAndBlocks() {
        #expect([2, 3, 4, 5, 8, 9, 12].map { CanonicalTree.split(0..<$0) } == [1, 2, 2, 4, 4, 8, 8])
        #expect(CanonicalTree.split(8..<12) == 10)
        let tree = CanonicalTree(leaves: 12)
        #expect((0..<5).map { tree.block(rank: $0, worldSize: 5) } == [0..<3, 3..<6, 6..<8, 8..<10, 10..<12])
        #expect(tree.fragments(of: 0..<3) == [0..<2, 2..<3])
        #expect(tree.fragments(of: 3..<6) == [3..<4, 4..<6])
        #expect(tree.fragments(of: 0..<12) == [0..<12])
        #expect(CanonicalTree(leaves: 11).fragments(of: 8..<11) == [8..<11])   // a right-spine node
        let layout = TreeLayout(tree: tree, worldSize: 5)
        #expect(layout.firstFragment == [0, 2, 4, 5, 6, 7])
        #expect(layout.fragments == [0..<2, 2..<3, 3..<4, 4..<6, 6..<8, 8..<10, 10..<12])
        #expect(tree.isAligned(worldSize: 1) == false && CanonicalTree(leaves: 8).isAligned(worldSize: 4))
    }

    /// The test data can tell trees apart: for every n ≥ 4 a sequential sum (for n = 3 it is the tree)
    /// differs from the tree, and where halving by count is another shape (n not a power of two) it
    /// differs too.
    @Test func theDataDistinguishesTrees() {
        for n in 3...40 {
            let x = Self.leaves(n, length: 64, seed: UInt64(n))
            let canonical = Self.bits(Self.reference(x, 0..<n))
            if n >= 4 { #expect(Self.bits(Self.sequential(x)) != canonical, "n = \(n)") }
            if n & (n - 1) != 0 { #expect(Self.bits(Self.halving(x, 0..<n)) != canonical, "n = \(n)") }
        }
    }

    /// One rank folding all n leaves with the block accumulator is the tree (and the binary counter).
    @Test func oneRankIsTheTree() {
        for n in 1...40 {
            let x = Self.leaves(n, length: 33, seed: 3)
            let acc = BlockAccumulator(length: 33, fragments: [0..<n])
            let counter = PairwiseAccumulator(length: 33)
            for leaf in x { leaf.withUnsafeBufferPointer { acc.add($0.baseAddress!); counter.add($0.baseAddress!) } }
            var viaCounter = [Float](repeating: 0, count: 33)
            viaCounter.withUnsafeMutableBufferPointer { counter.result(into: $0.baseAddress!) }
            let viaBlock = Array(UnsafeBufferPointer(start: acc.fragmentBuffers[0], count: 33))
            #expect(Self.bits(viaBlock) == Self.bits(Self.reference(x, 0..<n)), "n = \(n)")
            #expect(Self.bits(viaCounter) == Self.bits(viaBlock), "n = \(n)")
        }
    }

    /// The property: for n = 1…40 and every W = 1…n, every rank ends with the single-rank tree's bits —
    /// through the whole-fragment exchange (small buffers) and through reduce-scatter + allgather.
    @Test(arguments: [0, 1 << 30])
    func everyWorldSizeGivesTheTreesBits(replicatedLimit: Int) throws {
        for n in 1...40 {
            let length = 5 + n % 7 * 4                       // some chunks are empty when W > length
            let x = Self.leaves(n, length: length, seed: UInt64(100 + n))
            let expected = Self.bits(Self.reference(x, 0..<n))
            for world in 1...n {
                let results = try Self.distributedSum(x, world: world) {
                    DeterministicAllReduce(replicatedLimit: replicatedLimit)
                }
                for (rank, r) in results.enumerated() {
                    #expect(Self.bits(r) == expected, "n = \(n), W = \(world), rank \(rank)")
                }
            }
        }
    }

    /// Larger buffers, for the packing of several fragments per message, on the uneven worlds of n = 12.
    @Test(arguments: [3, 5, 7, 11])
    func largerBuffersOnUnevenWorlds(world: Int) throws {
        let x = Self.leaves(12, length: 1_001, seed: 9)
        let expected = Self.bits(Self.reference(x, 0..<12))
        for limit in [0, 1 << 30] {
            let results = try Self.distributedSum(x, world: world) { DeterministicAllReduce(replicatedLimit: limit) }
            for r in results { #expect(Self.bits(r) == expected, "W = \(world), limit \(limit)") }
        }
    }

    /// The aligned fast path (recursive doubling, or halving + allgather) and the general path give the
    /// same bits wherever both apply: n and W powers of two.
    @Test(arguments: [(8, 2), (8, 4), (8, 8), (16, 4), (4, 2), (2, 2)])
    func fastPathEqualsGeneralPath(shape: (leaves: Int, world: Int)) throws {
        let (n, world) = shape
        let length = 1_001
        let x = Self.leaves(n, length: length, seed: 21)
        let general = try SimulatedWorld.run(ranks: world) { comm -> [Float] in
            let tree = CanonicalTree(leaves: n)
            let block = tree.block(rank: comm.rank, worldSize: world)
            let acc = BlockAccumulator(length: length, fragments: tree.fragments(of: block))
            for j in block { x[j].withUnsafeBufferPointer { acc.add($0.baseAddress!) } }
            var out = [Float](repeating: .nan, count: length)
            let allReduce = DeterministicAllReduce()
            try out.withUnsafeMutableBufferPointer {
                try allReduce.reduceScatter(fragments: acc.fragmentBuffers, leaves: n, range: 0..<length, into: $0.baseAddress!, over: comm)
                try allReduce.allGather($0.baseAddress!, range: 0..<length, over: comm)
            }
            return out
        }
        for limit in [0, 1 << 30] {
            let fast = try Self.distributedSum(x, world: world) { DeterministicAllReduce(recursiveDoublingLimit: limit) }
            for (g, f) in zip(general, fast) { #expect(Self.bits(g) == Self.bits(f), "n = \(n), W = \(world)") }
        }
        #expect(Self.bits(general[0]) == Self.bits(Self.reference(x, 0..<n)))
    }

    /// Reduce-scatter over a sub-range (a bucket) leaves rank c the tree's bits for chunk c of that
    /// range and touches nothing outside its chunk; the allgather completes the range only.
    @Test func reduceScatterOverABucket() throws {
        let n = 7, world = 3, length = 50
        let bucket = 10..<41
        let x = Self.leaves(n, length: length, seed: 5)
        let expected = Self.reference(x, 0..<n)
        let outcome = try SimulatedWorld.run(ranks: world) { comm -> (chunk: Range<Int>, afterScatter: [Float], afterGather: [Float]) in
            let tree = CanonicalTree(leaves: n)
            let block = tree.block(rank: comm.rank, worldSize: world)
            let acc = BlockAccumulator(length: length, fragments: tree.fragments(of: block))
            for j in block { x[j].withUnsafeBufferPointer { acc.add($0.baseAddress!) } }
            var out = [Float](repeating: -1, count: length)
            let allReduce = DeterministicAllReduce()
            let chunk = try out.withUnsafeMutableBufferPointer {
                try allReduce.reduceScatter(fragments: acc.fragmentBuffers, leaves: n, range: bucket, into: $0.baseAddress!, over: comm)
            }
            let scattered = out
            try out.withUnsafeMutableBufferPointer { try allReduce.allGather($0.baseAddress!, range: bucket, over: comm) }
            return (chunk, scattered, out)
        }
        #expect(outcome.map(\.chunk) == [10..<21, 21..<31, 31..<41])
        for (rank, o) in outcome.enumerated() {
            for i in 0..<length {
                let inChunk = o.chunk.contains(i), inBucket = bucket.contains(i)
                #expect(o.afterScatter[i].bitPattern == (inChunk ? expected[i] : -1).bitPattern, "rank \(rank) [\(i)]")
                #expect(o.afterGather[i].bitPattern == (inBucket ? expected[i] : -1).bitPattern, "rank \(rank) [\(i)]")
            }
        }
    }
}
