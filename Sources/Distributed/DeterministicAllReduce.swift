/// The allreduce of the determinism contract (rule 4), written once over `sendReceive` so that
/// simulated ranks and MPI processes run the same arithmetic.
///
/// For a power-of-two world, recursive halving (a reduce-scatter) with partner distance 1, 2, 4, …
/// adds the ranks' partial sums in the balanced tree `T(P₀…P_{W−1}) = T(left half) + T(right half)`:
/// after the round at distance d, each element holds the sum of an aligned block of 2d ranks, with
/// the lower block as the left operand. An allgather (distances W/2 … 1) then gives every rank every
/// element. A rank's partial sum is itself the balanced tree of its A micro-batches
/// (`PairwiseAccumulator`), so the whole is the balanced tree over n = A·W micro-batches: the same bits
/// for every split of n into A and W.
///
/// Other world sizes: the ranks beyond the largest power of two p first add their buffers into ranks
/// 0…W−p−1, the p ranks reduce as above, and the result is sent back. Deterministic for a given W, but
/// not the same bits as another W.
///
/// ```swift
/// let allReduce = DeterministicAllReduce()
/// try allReduce.sum(gradients, over: comm)
/// ```
public final class DeterministicAllReduce {
    private var scratch: UnsafeMutableBufferPointer<Float>?
    /// Buffers up to this many bytes use recursive doubling, larger ones halving + doubling.
    public var recursiveDoublingLimit: Int

    public init(recursiveDoublingLimit: Int = 8 << 20) {
        self.recursiveDoublingLimit = recursiveDoublingLimit
    }
    deinit { scratch?.deallocate() }

    private func scratch(_ count: Int) -> UnsafeMutableBufferPointer<Float> {
        if let s = scratch, s.count >= count { return UnsafeMutableBufferPointer(rebasing: s[0..<count]) }
        scratch?.deallocate()
        let s = UnsafeMutableBufferPointer<Float>.allocate(capacity: max(count, 1))
        scratch = s
        return UnsafeMutableBufferPointer(rebasing: s[0..<count])
    }

    /// Sums `buffer` across the ranks of `comm` in place; every rank ends with the same bits.
    public func sum(_ buffer: UnsafeMutableBufferPointer<Float>, over comm: Communicator) throws {
        let w = comm.worldSize, r = comm.rank
        guard w > 1 else { return }
        var p = 1
        while p * 2 <= w { p *= 2 }
        let extra = w - p

        // Fold ranks p…w−1 into ranks 0…extra−1 (the lower rank is the left operand).
        if r >= p {
            try send(UnsafeBufferPointer(buffer), to: r - p, over: comm)
        } else if r < extra {
            let incoming = scratch(buffer.count)
            try receive(into: incoming, from: r + p, over: comm)
            Self.add(into: buffer.baseAddress!, incoming.baseAddress!, count: buffer.count, mineIsLeft: true)
        }

        if r < p {
            if buffer.count * MemoryLayout<Float>.stride <= recursiveDoublingLimit {
                try recursiveDoubling(buffer, rank: r, size: p, over: comm)
            } else {
                try powerOfTwoSum(buffer, rank: r, size: p, over: comm)
            }
        }

        // Hand the result back to the folded ranks.
        if r >= p {
            try receive(into: buffer, from: r - p, over: comm)
        } else if r < extra {
            try send(UnsafeBufferPointer(buffer), to: r + p, over: comm)
        }
    }

    /// Recursive doubling among ranks 0..<size (a power of two): at distances 1, 2, 4, … partners swap
    /// whole buffers and both add lower + upper. Each element sees exactly the additions of recursive
    /// halving (the same tree), in log W rounds of full-size messages: fewer rounds, more bytes, so it
    /// wins for small and medium buffers.
    private func recursiveDoubling(_ buffer: UnsafeMutableBufferPointer<Float>, rank r: Int, size: Int, over comm: Communicator) throws {
        let incoming = scratch(buffer.count)
        var distance = 1
        while distance < size {
            let partner = r ^ distance
            try comm.sendReceive(send: UnsafeBufferPointer(buffer), to: partner, receive: incoming, from: partner)
            Self.add(into: buffer.baseAddress!, incoming.baseAddress!, count: buffer.count, mineIsLeft: r & distance == 0)
            distance *= 2
        }
    }

    /// `mine = mine + theirs` (or `theirs + mine`): the lower rank's block is the left operand. Float
    /// addition commutes, so only the grouping — fixed by the distances — decides the bits; the operand
    /// order is kept anyway so that the code reads as the contract does.
    @inline(__always)
    static func add(into mine: UnsafeMutablePointer<Float>, _ theirs: UnsafePointer<Float>, count: Int, mineIsLeft: Bool) {
        if mineIsLeft {
            for i in 0..<count { mine[i] = mine[i] + theirs[i] }
        } else {
            for i in 0..<count { mine[i] = theirs[i] + mine[i] }
        }
    }

    /// Recursive halving then recursive doubling among ranks 0..<size (a power of two).
    private func powerOfTwoSum(_ buffer: UnsafeMutableBufferPointer<Float>, rank r: Int, size: Int, over comm: Communicator) throws {
        var segments: [Range<Int>] = []      // the segment owned before each halving round
        var owned = 0..<buffer.count
        var distance = 1
        while distance < size {
            let partner = r ^ distance
            let mid = owned.lowerBound + owned.count / 2
            let lower = owned.lowerBound..<mid, upper = mid..<owned.upperBound
            let iAmLower = r & distance == 0
            let (keep, give) = iAmLower ? (lower, upper) : (upper, lower)
            let incoming = scratch(keep.count)
            try comm.sendReceive(send: UnsafeBufferPointer(rebasing: buffer[give]), to: partner,
                                 receive: incoming, from: partner)
            Self.add(into: buffer.baseAddress! + keep.lowerBound, incoming.baseAddress!, count: keep.count, mineIsLeft: iAmLower)
            segments.append(owned)
            owned = keep
            distance *= 2
        }
        // Allgather: undo the halvings, last first, swapping owned segments with the same partners.
        distance = size / 2
        while distance >= 1 {
            let partner = r ^ distance
            let parent = segments.removeLast()
            let partnerSegment = owned.lowerBound == parent.lowerBound ? owned.upperBound..<parent.upperBound
                                                                      : parent.lowerBound..<owned.lowerBound
            try comm.sendReceive(send: UnsafeBufferPointer(rebasing: buffer[owned]), to: partner,
                                 receive: UnsafeMutableBufferPointer(rebasing: buffer[partnerSegment]), from: partner)
            owned = parent
            distance /= 2
        }
    }

    // One-directional transfers are a sendReceive with an empty other half, so that every backend
    // needs only the one primitive.
    private func send(_ data: UnsafeBufferPointer<Float>, to peer: Int, over comm: Communicator) throws {
        try comm.sendReceive(send: data, to: peer, receive: UnsafeMutableBufferPointer(start: nil, count: 0), from: peer)
    }

    private func receive(into data: UnsafeMutableBufferPointer<Float>, from peer: Int, over comm: Communicator) throws {
        try comm.sendReceive(send: UnsafeBufferPointer(start: nil, count: 0), to: peer, receive: data, from: peer)
    }
}
