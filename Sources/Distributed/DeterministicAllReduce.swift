/// The allreduce of the determinism contract (rule 4), written once over `sendReceive` so that
/// simulated ranks and MPI processes run the same arithmetic.
///
/// Every element of the result is the canonical tree `CanonicalTree` over the step's n leaves, for
/// every world size W ≤ n. A rank brings the sums of its fragments (`BlockAccumulator`), the maximal
/// tree nodes inside its block of leaves; the nodes above them are added by:
///
/// - the fast path, when n and W are powers of two (each rank's block is one node and the upper tree
///   is the balanced tree over the ranks): recursive halving (a reduce-scatter) with partner distance
///   1, 2, 4, …, the lower block left, then an allgather — or, for buffers up to
///   `recursiveDoublingLimit`, recursive doubling, which performs the same additions;
/// - otherwise `TreeExchange`: a reduce-scatter by point-to-point exchanges in which rank c evaluates
///   the upper tree for chunk c, then an allgather — or, up to `replicatedLimit` bytes, one exchange
///   of whole fragments after which every rank evaluates the upper tree itself.
///
/// `sum(_:over:)` is the case of one leaf per rank (n = W).
///
/// ```swift
/// let allReduce = DeterministicAllReduce()
/// try allReduce.sum(gradients, over: comm)                                  // n = W
/// try allReduce.sum(fragments: acc.fragmentBuffers, leaves: 12, into: gradients, over: comm)
/// ```
public final class DeterministicAllReduce {
    private var scratchBuffer = Scratch()
    private let exchange = TreeExchange()
    private var layouts: [LayoutKey: TreeLayout] = [:]
    private struct LayoutKey: Hashable { let leaves: Int, worldSize: Int }
    /// Aligned buffers up to this many bytes use recursive doubling, larger ones halving + doubling.
    public var recursiveDoublingLimit: Int
    /// Unaligned buffers up to this many bytes are exchanged whole (`TreeExchange.replicatedSum`),
    /// larger ones reduce-scattered and allgathered.
    public var replicatedLimit: Int

    public init(recursiveDoublingLimit: Int = 8 << 20, replicatedLimit: Int = 64 << 10) {
        self.recursiveDoublingLimit = recursiveDoublingLimit
        self.replicatedLimit = replicatedLimit
    }

    private func scratch(_ count: Int) -> UnsafeMutableBufferPointer<Float> {
        UnsafeMutableBufferPointer(start: scratchBuffer.floats(count), count: count)
    }

    /// The layout of n leaves over W ranks, computed once.
    public func layout(leaves: Int, worldSize: Int) -> TreeLayout {
        let key = LayoutKey(leaves: leaves, worldSize: worldSize)
        if let known = layouts[key] { return known }
        let made = TreeLayout(tree: CanonicalTree(leaves: leaves), worldSize: worldSize)
        layouts[key] = made
        return made
    }

    /// Sums `buffer` across the ranks of `comm` in place, each rank's buffer one leaf of the canonical
    /// tree over W leaves; every rank ends with the same bits.
    public func sum(_ buffer: UnsafeMutableBufferPointer<Float>, over comm: Communicator) throws {
        guard comm.worldSize > 1, let base = buffer.baseAddress else { return }
        try sum(fragments: [base], leaves: comm.worldSize, into: buffer, over: comm)
    }

    /// Writes into `output` (on every rank) the canonical tree over `leaves` leaves, this rank bringing
    /// the sums of its fragments (`layout(leaves:worldSize:).fragmentNumbers(ofRank:)`, left to right,
    /// each `output.count` long; one of them may be `output` itself). Fragment buffers are used as
    /// scratch.
    public func sum(fragments: [UnsafeMutablePointer<Float>], leaves: Int,
                    into output: UnsafeMutableBufferPointer<Float>, over comm: Communicator) throws {
        let w = comm.worldSize
        guard let out = output.baseAddress else { return }
        let layout = layout(leaves: leaves, worldSize: w)
        let all = 0..<output.count
        let bytes = output.count * MemoryLayout<Float>.stride
        if layout.tree.isAligned(worldSize: w) {
            precondition(fragments.count == 1, "an aligned block is one fragment")
            if fragments[0] != out { out.update(from: fragments[0], count: output.count) }
            guard w > 1 else { return }
            if bytes <= recursiveDoublingLimit {
                try recursiveDoubling(output, rank: comm.rank, size: w, over: comm)
            } else {
                try powerOfTwoSum(output, rank: comm.rank, size: w, over: comm)
            }
        } else if bytes <= replicatedLimit {
            try exchange.replicatedSum(fragments: fragments, layout: layout, range: all, into: out, over: comm)
        } else {
            try reduceScatter(fragments: fragments, leaves: leaves, range: all, into: out, over: comm)
            try allGather(out, range: all, over: comm)
        }
    }

    /// Step one of the general path over elements `range` only: see `TreeExchange.reduceScatter`.
    /// Returns the chunk of `range` whose sum this rank now holds in `output`.
    @discardableResult
    public func reduceScatter(fragments: [UnsafeMutablePointer<Float>], leaves: Int, range: Range<Int>,
                              into output: UnsafeMutablePointer<Float>, over comm: Communicator) throws -> Range<Int> {
        try exchange.reduceScatter(fragments: fragments, layout: layout(leaves: leaves, worldSize: comm.worldSize),
                                   range: range, into: output, over: comm)
    }

    /// Step one with the caller's cut of the elements: rank c ends with the sum of `part(c)`
    /// (`TreeExchange.reduceScatter(…parts:)`; optimizer sharding cuts each bucket by the shards).
    @discardableResult
    public func reduceScatter(fragments: [UnsafeMutablePointer<Float>], leaves: Int, into output: UnsafeMutablePointer<Float>,
                              over comm: Communicator, parts part: (Int) -> Range<Int>) throws -> Range<Int> {
        try exchange.reduceScatter(fragments: fragments, layout: layout(leaves: leaves, worldSize: comm.worldSize),
                                   into: output, over: comm, parts: part)
    }

    /// Step two: every rank's chunk of `range` to every rank (`TreeExchange.allGather`).
    public func allGather(_ output: UnsafeMutablePointer<Float>, range: Range<Int>, over comm: Communicator) throws {
        try exchange.allGather(output, range: range, over: comm)
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
}
