import TensorCore

/// An optimizer's state for its shard `[lo, hi)` of the flat parameter buffer: one flat tensor per
/// slot (element `k` belongs to flat element `lo + k`), and one step counter per parameter that
/// the shard touches. A rank that owns a shard (optimizer-state sharding, ZeRO-1) holds state for
/// that shard only; the whole buffer is the shard `0..<P`.
///
/// In checkpoints each slot appears per parameter as `optimizer.<param>.<slot>`, a view of the flat
/// slot shaped like the parameter (a parameter cut by the shard's edge gets a 1-D view of its
/// part), then `optimizer.<param>.step` (int64 scalar).
///
/// ```swift
/// let state = try FlatState(buffer, shard: nil, slots: ["exp_avg", "exp_avg_sq"], countsSteps: true, optimizer: "Adam")
/// state.slots[0]                  // (P) exp_avg, zeros
/// ```
final class FlatState {
    let shard: Range<Int>
    /// The parameters the shard touches, in order: index into the buffer's entries and the part of
    /// its segment inside the shard.
    let pieces: [(parameter: Int, range: Range<Int>)]
    let slotNames: [String]
    let slots: [Tensor]          // each (shard.count)
    let steps: Tensor?           // (pieces.count) int64; nil for a stateless optimizer
    /// Elements of each piece already updated in the optimizer step under way (`forEachRun`); zero
    /// between steps.
    private var stepped: [Int]
    private let stateViews: [(name: String, tensor: Tensor)]

    init(_ buffer: ParameterBuffer, shard: Range<Int>?, slots slotNames: [String], countsSteps: Bool,
         optimizer: String) throws {
        let shard = shard ?? 0..<buffer.count
        guard shard.lowerBound >= 0, shard.upperBound <= buffer.count else {
            throw OptimizerError.invalidShard(optimizer: optimizer, lower: shard.lowerBound,
                                              upper: shard.upperBound, count: buffer.count)
        }
        self.shard = shard
        self.slotNames = slotNames
        pieces = buffer.segments.enumerated().compactMap { i, segment in
            let part = segment.clamped(to: shard)
            return part.isEmpty ? nil : (i, part)
        }
        slots = slotNames.map { _ in Tensor.zeros([shard.count], dtype: buffer.dtype) }
        steps = countsSteps ? Tensor.zeros([pieces.count], dtype: .int64) : nil
        stepped = Array(repeating: 0, count: pieces.count)
        var views: [(name: String, tensor: Tensor)] = []
        guard let steps else { stateViews = []; return }
        for (k, (parameter, range)) in pieces.enumerated() {
            let (name, tensor) = buffer.entries[parameter]
            let shape = range == buffer.segments[parameter] ? tensor.shape : [range.count]
            for (slotName, slot) in zip(slotNames, slots) {
                views.append((StateSlots.name(name, slotName),
                              Tensor(storage: slot.storage, offset: range.lowerBound - shard.lowerBound,
                                     shape: shape, dtype: slot.dtype)))
            }
            views.append((StateSlots.name(name, "step"),
                          Tensor(storage: steps.storage, offset: k, shape: [], dtype: .int64)))
        }
        stateViews = views
    }

    /// The state as `optimizer.<param>.<slot>` views, in parameter order (slots, then `step`).
    func stateTensors() -> [(name: String, tensor: Tensor)] { stateViews }

    /// Advances the step counter of every piece whose parameter has a gradient, then calls
    /// `update(range, step)` once per maximal run of adjacent such pieces with equal counts: in
    /// training every parameter has a gradient every step, so this is one call over the whole shard.
    /// A parameter without a gradient is skipped and its count stays behind, as in PyTorch.
    ///
    /// `within` (default: the whole shard) limits the step to the elements inside it: an optimizer
    /// step may be taken in several calls (one per reduced gradient bucket, in any order) as long as
    /// together they cover each piece once. A piece's counter advances on the first call that
    /// reaches it in the step, and the later calls for the same piece use that count. (A step left
    /// half taken — its caller threw between buckets — leaves the optimizer unusable, as a failed
    /// training step leaves the run: it is resumed from a checkpoint.)
    func forEachRun(present: [Bool], within: Range<Int>? = nil, _ update: (_ range: Range<Int>, _ step: Int) -> Void) {
        let counts = steps.map { $0.rawPointer.assumingMemoryBound(to: Int64.self) }
        var run: (range: Range<Int>, step: Int)?
        for (k, (parameter, whole)) in pieces.enumerated() {
            let range = within.map { whole.clamped(to: $0) } ?? whole
            guard !range.isEmpty else { continue }
            guard present[parameter] else {
                if let r = run { update(r.range, r.step) }
                run = nil
                continue
            }
            if stepped[k] == 0, let counts { counts[k] += 1 }
            stepped[k] += range.count
            precondition(stepped[k] <= whole.count, "elements of \(whole) stepped twice in one optimizer step")
            if stepped[k] == whole.count { stepped[k] = 0 }
            let step = counts.map { Int($0[k]) } ?? 0
            if let r = run, r.step == step, r.range.upperBound == range.lowerBound {
                run = (r.range.lowerBound..<range.upperBound, step)
            } else {
                if let r = run { update(r.range, r.step) }
                run = (range, step)
            }
        }
        if let r = run { update(r.range, r.step) }
    }

    /// The step counts of a step over the whole shard in one call (what a layer-wise optimizer
    /// takes): advances the counter of every piece whose parameter has a gradient and returns each
    /// parameter's count after it (0 for parameters outside the shard, without a gradient, or when
    /// the optimizer counts no steps).
    func advanceWholeShard(present: [Bool]) -> [Int] {
        var counts = [Int](repeating: 0, count: present.count)
        guard let steps else { return counts }
        let pointer = steps.rawPointer.assumingMemoryBound(to: Int64.self)
        for (k, piece) in pieces.enumerated() where present[piece.parameter] {
            pointer[k] += 1
            counts[piece.parameter] = Int(pointer[k])
        }
        return counts
    }

    /// Slot `i` as `T`, positioned at flat element `flatIndex` (which must lie in the shard).
    func slotPointer<T: TensorScalar>(_ i: Int, at flatIndex: Int, as _: T.Type) -> UnsafeMutablePointer<T> {
        slots[i].pointer(as: T.self) + (flatIndex - shard.lowerBound)
    }
}
