import Testing
import Foundation
import TensorCore
import Distributed

/// The deterministic allreduce against the balanced tree it promises, over simulated ranks.
struct AllReduceTests {
    /// Leaf j of n: values spread over many magnitudes so that the order of additions shows in the bits.
    static func leaf(_ j: Int, length: Int) -> [Float] {
        let key = RandomKey(seed: 11, stream: .syntheticData, a: UInt32(j))
        return (0..<length).map { Float(key.normal(at: UInt64($0)) * pow(10, Double($0 % 7) - 3)) }
    }

    /// The contract's tree: T(x₀…xₖ₋₁) = T(left half) + T(right half).
    static func tree(_ leaves: ArraySlice<[Float]>) -> [Float] {
        if leaves.count == 1 { return leaves.first! }
        let mid = leaves.startIndex + leaves.count / 2
        let (l, r) = (tree(leaves[..<mid]), tree(leaves[mid...]))
        return zip(l, r).map { $0 + $1 }
    }

    static func bits(_ x: [Float]) -> [UInt32] { x.map(\.bitPattern) }

    @Test func pairwiseAccumulatorIsTheBalancedTree() {
        for n in [1, 2, 4, 8, 16] {
            let leaves = (0..<n).map { Self.leaf($0, length: 33) }
            let acc = PairwiseAccumulator(length: 33)
            for l in leaves { l.withUnsafeBufferPointer { acc.add($0.baseAddress!) } }
            var out = [Float](repeating: 0, count: 33)
            out.withUnsafeMutableBufferPointer { acc.result(into: $0.baseAddress!) }
            #expect(Self.bits(out) == Self.bits(Self.tree(leaves[...])), "n = \(n)")
        }
        // And the order matters: a sequential sum of the same 8 leaves differs somewhere.
        let leaves = (0..<8).map { Self.leaf($0, length: 33) }
        let sequential = leaves.dropFirst().reduce(leaves[0]) { zip($0, $1).map { $0 + $1 } }
        #expect(Self.bits(sequential) != Self.bits(Self.tree(leaves[...])))
    }

    /// Every split of n = 8 micro-batches into A local leaves × W ranks gives the tree's bits, with
    /// recursive doubling (small buffers) and with recursive halving + allgather (large buffers).
    @Test(arguments: [(1, 8), (2, 4), (4, 2), (8, 1)], [0, 1 << 30])
    func invariantAcrossWorldSizes(split: (world: Int, accumulation: Int), doublingLimit: Int) throws {
        let (world, accumulation) = split
        let length = 1_001   // odd, so that halving splits unevenly
        let expected = Self.bits(Self.tree((0..<8).map { Self.leaf($0, length: length) }[...]))
        let results = try SimulatedWorld.run(ranks: world) { comm -> [UInt32] in
            let acc = PairwiseAccumulator(length: length)
            for a in 0..<accumulation {
                Self.leaf(accumulation * comm.rank + a, length: length).withUnsafeBufferPointer { acc.add($0.baseAddress!) }
            }
            var partial = [Float](repeating: 0, count: length)
            partial.withUnsafeMutableBufferPointer { acc.result(into: $0.baseAddress!) }
            try partial.withUnsafeMutableBufferPointer {
                try DeterministicAllReduce(recursiveDoublingLimit: doublingLimit).sum($0, over: comm)
            }
            return Self.bits(partial)
        }
        for (rank, r) in results.enumerated() { #expect(r == expected, "rank \(rank) of \(world)") }
    }

    @Test(arguments: [3, 5, 6, 7], [0, 1 << 30])
    func nonPowerOfTwoWorldsSumCorrectlyAndAgree(world: Int, doublingLimit: Int) throws {
        let length = 257
        let leaves = (0..<world).map { Self.leaf($0, length: length) }
        let results = try SimulatedWorld.run(ranks: world) { comm -> [Float] in
            var x = leaves[comm.rank]
            try x.withUnsafeMutableBufferPointer {
                try DeterministicAllReduce(recursiveDoublingLimit: doublingLimit).sum($0, over: comm)
            }
            return x
        }
        let exact = (0..<length).map { i in leaves.reduce(0.0) { $0 + Double($1[i]) } }
        for r in results {
            #expect(Self.bits(r) == Self.bits(results[0]))
            for i in 0..<length { #expect(abs(Double(r[i]) - exact[i]) <= 1e-5 * max(1, abs(exact[i]))) }
        }
    }

    @Test func collectivesOfTheSimulatedWorld() throws {
        let out = try SimulatedWorld.run(ranks: 4) { comm -> (Float, UInt64, [Float]) in
            var x: [Float] = [Float(comm.rank + 1)]
            try x.withUnsafeMutableBufferPointer { try comm.allReduceSum($0) }
            var token: UInt64 = comm.rank == 2 ? 0xABCD : 0
            try withUnsafeMutableBytes(of: &token) { try comm.broadcast($0, root: 2) }
            try comm.barrier()
            // A ring: send to the right, receive from the left.
            let right = (comm.rank + 1) % 4, left = (comm.rank + 3) % 4
            var got = [Float](repeating: 0, count: 2)
            let mine: [Float] = [Float(comm.rank), Float(comm.rank * 10)]
            try mine.withUnsafeBufferPointer { s in try got.withUnsafeMutableBufferPointer { try comm.sendReceive(send: s, to: right, receive: $0, from: left) } }
            return (x[0], token, got)
        }
        for (rank, (sum, token, got)) in out.enumerated() {
            #expect(sum == 10)
            #expect(token == 0xABCD)
            let left = Float((rank + 3) % 4)
            #expect(got == [left, left * 10])
        }
    }

    @Test func aFailingRankFailsTheWorldInsteadOfHanging() throws {
        let start = Date()
        #expect(throws: WorldFailure(rank: 1, reason: "bad data on rank 1")) {
            _ = try SimulatedWorld.run(ranks: 4) { comm -> Int in
                if comm.rank == 1 { throw Failure("bad data on rank 1") }
                var x: [Float] = [1]
                // Ranks 0, 2 and 3 wait here for rank 1, which never comes; they must be woken.
                try x.withUnsafeMutableBufferPointer { try DeterministicAllReduce().sum($0, over: comm) }
                try comm.barrier()
                return 0
            }
        }
        #expect(Date().timeIntervalSince(start) < 10)
    }

    @Test func replicaDigestFindsTheDivergentRank() throws {
        let mismatches = try SimulatedWorld.run(ranks: 4) { comm -> [Int] in
            let t = Tensor.full([100], 0.5)
            if comm.rank == 3 { t.setElement(42, 0.5000001) }
            return try ReplicaDigest.mismatchedRanks(ReplicaDigest.hash([t]), over: comm)
        }
        #expect(mismatches.allSatisfy { $0 == [3] })
        #expect(ReplicaDigest.hash([Tensor.full([100], 0.5)]) != ReplicaDigest.hash([Tensor.full([101], 0.5)]))
    }
}

struct Failure: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}
