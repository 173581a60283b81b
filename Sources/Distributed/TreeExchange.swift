import TensorCore

/// The general path of the deterministic allreduce: any n leaves on any W ≤ n ranks, over an element
/// range of the flat buffer, in two separate steps so that a caller can reduce buckets as they become
/// ready (`range`) or stop after the first step and own a chunk (optimizer sharding):
///
/// 1. `reduceScatter`: the range is cut into W chunks (`chunk(_:of:parts:)`). In round k = 1…W−1 rank
///    r sends chunk (r+k) mod W of each of its fragments to that rank and receives its own chunk of rank
///    (r−k) mod W's fragments (`sendReceive`, pairwise exchange, no deadlock). Rank c then holds chunk c
///    of every fragment of the step and evaluates the upper tree (`TreeLayout.additions`) on it.
/// 2. `allGather`: the same W−1 rounds hand every rank every chunk.
///
/// Each element is thus summed in the canonical tree whatever W is: the fragments are the tree's own
/// nodes, the upper tree adds them in the tree's own pairs, and chunking only decides which rank does
/// an element's additions. Bytes sent per rank: (fragments of the rank)·(W−1)/W of the range in step 1
/// and (W−1)/W in step 2 — an allreduce's worth when every rank has one fragment.
///
/// For small ranges latency dominates, so `replicatedSum` sends whole fragments instead and every rank
/// evaluates the upper tree over the whole range (W−1 rounds instead of 2(W−1)); the bits are the same.
///
/// ```swift
/// let exchange = TreeExchange()
/// let mine = try exchange.reduceScatter(fragments: sums, layout: layout, range: 0..<p, into: out, over: comm)
/// try exchange.allGather(out, range: 0..<p, over: comm)        // every rank: out[0..<p] = T(leaves)
/// ```
public final class TreeExchange {
    private var receiveScratch = Scratch()
    private var sendScratch = Scratch()

    public init() {}

    /// Part `index` of `range` cut into `parts` nearly equal chunks (the first `count mod parts` one longer).
    public static func chunk(_ index: Int, of range: Range<Int>, parts: Int) -> Range<Int> {
        let q = range.count / parts, extra = range.count % parts
        let start = range.lowerBound + index * q + min(index, extra)
        return start ..< start + q + (index < extra ? 1 : 0)
    }

    /// Step 1: leaves the canonical sum of elements `chunk(rank, of: range)` in `output` and returns
    /// that chunk. `fragments` are this rank's fragment sums (`layout.fragmentNumbers(ofRank:)`, left to
    /// right); their elements in the returned chunk are overwritten, their other elements are kept.
    @discardableResult
    public func reduceScatter(fragments: [UnsafeMutablePointer<Float>], layout: TreeLayout, range: Range<Int>,
                              into output: UnsafeMutablePointer<Float>, over comm: Communicator) throws -> Range<Int> {
        let parts = comm.worldSize
        return try exchange(fragments: fragments, layout: layout, into: output, over: comm) {
            Self.chunk($0, of: range, parts: parts)
        }
    }

    /// Step 1 with the elements cut as the caller says: rank c evaluates the upper tree for the
    /// elements `part(c)` (disjoint ranges, possibly empty; optimizer sharding passes each rank's
    /// shard clamped to a bucket). Returns `part(rank)`.
    @discardableResult
    public func reduceScatter(fragments: [UnsafeMutablePointer<Float>], layout: TreeLayout,
                              into output: UnsafeMutablePointer<Float>, over comm: Communicator,
                              parts part: (Int) -> Range<Int>) throws -> Range<Int> {
        try exchange(fragments: fragments, layout: layout, into: output, over: comm, part: part)
    }

    /// Step 2: every rank sends its chunk of `range` (from `reduceScatter`) to every other rank.
    public func allGather(_ output: UnsafeMutablePointer<Float>, range: Range<Int>, over comm: Communicator) throws {
        let parts = comm.worldSize
        try allGather(output, over: comm) { Self.chunk($0, of: range, parts: parts) }
    }

    /// Step 2 with the caller's cut: every rank sends its elements `part(rank)` to every other rank.
    public func allGather(_ output: UnsafeMutablePointer<Float>, over comm: Communicator,
                          parts part: (Int) -> Range<Int>) throws {
        let w = comm.worldSize, r = comm.rank
        let mine = part(r)
        for k in 1..<max(w, 1) {
            let destination = (r + k) % w, source = (r - k + w) % w
            let theirs = part(source)
            try comm.sendReceive(send: UnsafeBufferPointer(start: output + mine.lowerBound, count: mine.count), to: destination,
                                 receive: UnsafeMutableBufferPointer(start: output + theirs.lowerBound, count: theirs.count),
                                 from: source)
        }
    }

    /// Both steps at once for small ranges: every rank receives every fragment's whole `range` and
    /// evaluates the upper tree itself.
    public func replicatedSum(fragments: [UnsafeMutablePointer<Float>], layout: TreeLayout, range: Range<Int>,
                              into output: UnsafeMutablePointer<Float>, over comm: Communicator) throws {
        try exchange(fragments: fragments, layout: layout, into: output, over: comm) { _ in range }
    }

    /// Hands rank c the elements `part(c)` of every fragment, then evaluates the upper tree on this
    /// rank's part and stores it in `output`.
    private func exchange(fragments: [UnsafeMutablePointer<Float>], layout: TreeLayout,
                          into output: UnsafeMutablePointer<Float>, over comm: Communicator,
                          part: (Int) -> Range<Int>) throws -> Range<Int> {
        let w = comm.worldSize, r = comm.rank
        precondition(layout.worldSize == w, "layout for \(layout.worldSize) ranks used on \(w)")
        let own = layout.fragmentNumbers(ofRank: r)
        precondition(fragments.count == own.count, "rank \(r) holds \(own.count) fragments, got \(fragments.count)")
        let mine = part(r), length = mine.count
        let received = receiveScratch.floats(layout.fragments.count * length)   // slot j: fragment j's part
        for k in 1..<max(w, 1) {
            let destination = (r + k) % w, source = (r - k + w) % w
            let theirs = part(destination)
            let outgoing: UnsafeBufferPointer<Float>
            if fragments.count == 1 {
                outgoing = UnsafeBufferPointer(start: fragments[0] + theirs.lowerBound, count: theirs.count)
            } else {
                let packed = sendScratch.floats(fragments.count * theirs.count)
                for (i, f) in fragments.enumerated() {
                    (packed + i * theirs.count).update(from: f + theirs.lowerBound, count: theirs.count)
                }
                outgoing = UnsafeBufferPointer(start: packed, count: fragments.count * theirs.count)
            }
            let from = layout.fragmentNumbers(ofRank: source)
            try comm.sendReceive(send: outgoing, to: destination,
                                 receive: UnsafeMutableBufferPointer(start: received + from.lowerBound * length,
                                                                     count: from.count * length),
                                 from: source)
        }
        // The slots of the upper tree: this rank's own fragments in place, the others as received.
        var slots = (0..<layout.fragments.count).map { received + $0 * length }
        for (i, j) in own.enumerated() { slots[j] = fragments[i] + mine.lowerBound }
        for addition in layout.additions {
            BlockAccumulator.addInPlace(left: slots[addition.left], right: slots[addition.right], count: length)
        }
        let destination = output + mine.lowerBound
        if slots[0] != destination { destination.update(from: slots[0], count: length) }
        return mine
    }
}

/// A growable float buffer reused across calls (freed with its owner).
struct Scratch: ~Copyable {
    private var buffer: UnsafeMutableBufferPointer<Float>?

    mutating func floats(_ count: Int) -> UnsafeMutablePointer<Float> {
        if let b = buffer, b.count >= count { return b.baseAddress! }
        buffer?.deallocate()
        let b = HugePages.allocateFloats(capacity: count)
        buffer = b
        return b.baseAddress!
    }

    deinit { buffer?.deallocate() }
}
