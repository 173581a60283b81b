import Foundation
import TensorCore

/// The gradient side of one rank's step: folds each micro-batch's flat gradients into the block's
/// fragments of the canonical tree (`BlockAccumulator`), then sums them over all ranks — either after
/// backward, in one collective, or bucket by bucket on a `CommunicationThread` while the last
/// micro-batch's backward is still running (`overlap`) — and, with optimizer-state sharding
/// (`shards`), stops after the reduce-scatter so that each rank holds only its shard of the sum.
///
/// Every element goes through the same additions in the same tree whatever the buckets are, whether
/// they overlap and whether the sum is sharded: folding is elementwise (`LeafFold`), and the
/// deterministic reduction gives each element the canonical tree over any element range.
///
/// A step, on every rank:
///
/// ```swift
/// for a in 0..<accumulation {
///     let last = a == accumulation - 1
///     let listen = sync.beginBackward(isLast: last)
///     try loss.backward(onLeafGradientFinal: listen ? { leaf, elements in
///         let o = offset[ObjectIdentifier(leaf)]!          // the leaf's start in the flat buffer
///         sync.elementsFinal(o + elements.lowerBound ..< o + elements.upperBound)
///     } : nil)
///     sync.endBackward(isLast: last)          // (after binding absent gradients to zeros)
/// }
/// try sync.finish()                           // the sum (or this rank's shard of it) is in `gradients`
/// ```
public final class GradientSynchronizer {
    public let reducer: GradientReducer
    public let communicator: Communicator
    /// The flat gradient buffer backward writes into (kept alive for the communication thread).
    public let gradients: Tensor
    public let buckets: GradientBuckets
    /// The cut of the buffer among ranks when the optimizer is sharded (ZeRO-1); nil otherwise.
    public let shards: ParameterShards?
    /// Leaves (micro-batches) of the step's canonical tree.
    public let leaves: Int
    /// Whether the next steps reduce buckets on the communication thread: `canOverlap`, unless turned
    /// off by `overlapEnabled` (`distributed.overlap: auto` times both ways first). Either way the
    /// bits are the same.
    public var overlaps: Bool { thread != nil && overlapEnabled }
    /// Whether there is a communication thread to overlap with (`overlap` asked for, more than one
    /// bucket, more than one rank).
    public var canOverlap: Bool { thread != nil }
    /// Set between steps to reduce the next steps after backward instead of during it, and back.
    public var overlapEnabled = true
    /// Each bucket's reduction on the communication thread, in the last step: monotonic-clock
    /// nanoseconds (`DispatchTime.uptimeNanoseconds`). Read after `finish()`.
    public private(set) var bucketSpans: [(start: UInt64, end: UInt64)] = []

    private let accumulator: BlockAccumulator?      // nil when the block is one micro-batch
    private let thread: CommunicationThread?
    /// The communication thread's reducer, over `communicator.forCommunicationThread()`.
    private let bucketReducer: GradientReducer?
    private let exchange = TreeExchange()          // the parameters' allgather, on the rank's thread
    // Per step, last micro-batch.
    private var fold: LeafFold?
    private var fragments: [UnsafeMutablePointer<Float>] = []
    private var pending: [Int] = []           // elements of each bucket whose gradient is not final
    private var submitted = 0                 // buckets handed to the thread, in bucket order

    /// `fragments`: this rank's block of the step's `leaves`, as maximal tree nodes
    /// (`CanonicalTree.fragments(of:)`). `overlap` with one bucket still reduces after backward.
    public init(mode: ReductionMode, communicator: Communicator, gradients: Tensor, leaves: Int,
                fragments blockFragments: [Range<Int>], buckets: GradientBuckets, overlap: Bool,
                shards: ParameterShards?) {
        precondition(shards == nil || mode == .deterministic, "optimizer sharding needs the deterministic reduction")
        reducer = GradientReducer(mode: mode, communicator: communicator)
        self.communicator = communicator
        self.gradients = gradients
        self.buckets = buckets
        self.shards = shards
        self.leaves = leaves
        let blockLeaves = blockFragments.last!.upperBound - blockFragments[0].lowerBound
        accumulator = blockLeaves > 1 ? BlockAccumulator(length: gradients.count, fragments: blockFragments) : nil
        let useThread = overlap && buckets.count > 1 && communicator.worldSize > 1
        thread = useThread ? CommunicationThread(name: "rank-\(communicator.rank)-comm") : nil
        bucketReducer = useThread ? GradientReducer(mode: mode, communicator: communicator.forCommunicationThread()) : nil
        // On the communication thread every byte added or copied is taken from the rank's own GEMM:
        // recursive doubling adds (and, shaped, sends) each bucket whole on every rank, halving +
        // allgather half of it, so buckets use the latter above a latency-bound size (docs/scaling.md).
        bucketReducer?.tree.recursiveDoublingLimit = Self.overlapDoublingLimit
    }

    deinit { thread?.stop() }

    /// Buckets up to this many bytes use recursive doubling when overlapping (`DeterministicAllReduce`).
    public static let overlapDoublingLimit = 64 << 10

    /// Blocks until bucket `k` (and every bucket before it) is reduced, when overlapping; the step may
    /// then use its elements while later buckets are still being reduced.
    public func waitForBucket(_ k: Int) throws {
        guard let thread else { return }
        try thread.wait(forFirst: k + 1)
    }

    /// Seconds spent in gradient collectives since creation, on either thread (with overlap, mostly
    /// hidden behind backward).
    public var communicationSeconds: Double {
        reducer.communicationSeconds + (bucketReducer?.communicationSeconds ?? 0)
    }

    /// The elements of the summed gradients this rank holds after `finish()`: its shard, or all.
    public var ownedElements: Range<Int> {
        shards?.shard(ofRank: communicator.rank) ?? 0..<gradients.count
    }

    /// Before a micro-batch's backward. Returns whether backward should report final gradients
    /// (`elementsFinal`): on the last micro-batch, when overlapping.
    public func beginBackward(isLast: Bool) -> Bool {
        guard isLast else { return false }
        fold = accumulator?.push()
        fragments = accumulator?.fragmentBuffers ?? [gradients.floats]
        bucketSpans.removeAll(keepingCapacity: true)
        guard overlaps else { return false }
        pending = buckets.ranges.map(\.count)
        submitted = 0
        return true
    }

    /// Backward will not change the gradients `elements` (of the flat buffer) again (last micro-batch,
    /// overlapping; each element once): when that completes a bucket, the bucket — and any later one
    /// already complete — goes to the communication thread. Buckets leave in bucket order on every
    /// rank, so collectives match.
    public func elementsFinal(_ elements: Range<Int>) {
        guard !elements.isEmpty else { return }
        var k = buckets.bucket(containing: elements.upperBound - 1)
        while k < buckets.count, buckets.ranges[k].upperBound > elements.lowerBound {
            pending[k] -= buckets.ranges[k].clamped(to: elements).count
            k += 1
        }
        while submitted < buckets.count, pending[submitted] == 0 { submit(submitted) }
    }

    /// After a micro-batch's backward, with every gradient bound (absent ones zero-filled). Earlier
    /// micro-batches fold into the accumulator; on the last, buckets not yet submitted are.
    public func endBackward(isLast: Bool) {
        guard isLast else {
            accumulator?.add(UnsafePointer(gradients.floats))
            return
        }
        if overlaps { while submitted < buckets.count { submit(submitted) } }
    }

    /// Waits for the reduction: afterwards `gradients[ownedElements]` holds the sum over every rank's
    /// micro-batches (unsharded: the whole buffer, on every rank).
    public func finish() throws {
        defer { accumulator?.reset(); fold = nil }
        if overlaps, let thread {
            try thread.wait()
        } else {
            try reduce(0..<gradients.count, using: reducer)
        }
    }

    /// After a failure in the step: lets the communication thread finish what it was given, so that
    /// nothing touches the buffers later. Its errors are dropped (the step's own error is reported).
    public func abandon() {
        try? thread?.wait()
        accumulator?.reset()
        fold = nil
    }

    private func submit(_ bucket: Int) {
        submitted += 1
        let range = buckets.ranges[bucket]
        thread!.submit { [self] in
            let start = DispatchTime.now().uptimeNanoseconds
            try reduce(range, using: bucketReducer!)
            bucketSpans.append((start, DispatchTime.now().uptimeNanoseconds))
        }
    }

    /// Folds the last micro-batch's elements `range` and sums them over the ranks: in place, or into
    /// this rank's shard.
    private func reduce(_ range: Range<Int>, using reducer: GradientReducer) throws {
        let base = gradients.floats
        fold?.apply(UnsafePointer(base), elements: range)
        if let shards {
            try reducer.reduceScatter(fragments: fragments, leaves: leaves, into: base) { shards.part(of: range, rank: $0) }
        } else {
            try reducer.reduce(fragments: fragments.map { $0 + range.lowerBound }, leaves: leaves,
                               into: UnsafeMutableBufferPointer(start: base + range.lowerBound, count: range.count))
        }
    }

    /// ZeRO-1's second half: every rank's updated shard of `values` (the flat parameters) to every rank.
    public func gatherShards(of values: Tensor) throws {
        guard let shards, communicator.worldSize > 1 else { return }
        try exchange.allGather(values.floats, over: communicator) { shards.shard(ofRank: $0) }
    }

    /// Every rank's bytes `part(c)` of `buffer` to every rank (a length of whole floats).
    public func allGather(bytes buffer: UnsafeMutableRawBufferPointer, part: (Int) -> Range<Int>) throws {
        guard communicator.worldSize > 1, let base = buffer.baseAddress else { return }
        let floats = base.assumingMemoryBound(to: Float.self)
        try exchange.allGather(floats, over: communicator) { c in
            let bytes = part(c)
            precondition(bytes.lowerBound % 4 == 0 && bytes.upperBound % 4 == 0, "allGather(bytes:) moves whole floats")
            return bytes.lowerBound / 4 ..< bytes.upperBound / 4
        }
    }
}
