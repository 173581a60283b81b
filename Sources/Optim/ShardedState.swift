import TensorCore

/// Moves bytes among ranks for optimizer-state sharding: on return, every rank's `buffer` holds, in
/// each rank c's byte range `part(c)`, what rank c had there. Optim knows no communicator; the trainer
/// passes its allgather.
public typealias StateAllGather = (_ buffer: UnsafeMutableRawBufferPointer, _ part: (Int) -> Range<Int>) throws -> Void

extension FlatState {
    /// The state as an unsharded optimizer holds it — every slot over the whole buffer, a step count
    /// for every parameter — assembled from every rank's shard (`shards`: each rank's, in rank order)
    /// with `allGather`. Every rank must call it; each gets the whole state (what rank 0 writes to a
    /// checkpoint, so that the file is the same as an unsharded run's).
    func gathered(shards: [Range<Int>], buffer: ParameterBuffer,
                  allGather: StateAllGather) throws -> [(name: String, tensor: Tensor)] {
        guard let steps else { return [] }
        if shard == 0..<buffer.count { return stateTensors() }
        let width = buffer.dtype.byteWidth
        let full = try FlatState(buffer, shard: nil, slots: slotNames, countsSteps: true, optimizer: "gather")
        for (mine, whole) in zip(slots, full.slots) {
            (whole.rawPointer + shard.lowerBound * width).copyMemory(from: mine.rawPointer, byteCount: shard.count * width)
            try allGather(UnsafeMutableRawBufferPointer(start: whole.rawPointer, count: whole.byteCount)) { c in
                shards[c].lowerBound * width ..< shards[c].upperBound * width
            }
        }
        // A parameter's count comes from the rank whose shard holds its first element: for each rank a
        // run of consecutive parameters, hence one byte range of the (parameters) counter vector.
        let owners = full.pieces.map { piece in shards.firstIndex { $0.contains(piece.range.lowerBound) }! }
        let fullCounts = full.steps!.rawPointer.assumingMemoryBound(to: Int64.self)
        let myCounts = steps.rawPointer.assumingMemoryBound(to: Int64.self)
        for (k, piece) in pieces.enumerated() where piece.range.lowerBound == buffer.segments[piece.parameter].lowerBound {
            fullCounts[full.pieces.firstIndex { $0.parameter == piece.parameter }!] = myCounts[k]
        }
        try allGather(UnsafeMutableRawBufferPointer(start: full.steps!.rawPointer, count: full.steps!.byteCount)) { c in
            let first = owners.firstIndex(of: c) ?? 0, last = owners.lastIndex(of: c).map { $0 + 1 } ?? 0
            return first * 8 ..< max(first, last) * 8
        }
        return full.stateTensors()
    }

    /// Restores this shard's state from `tensors` holding the whole state (`optimizer.<param>.<slot>`
    /// shaped like the parameter, as every checkpoint holds it, sharded run or not): each piece takes
    /// its part. Every slot of every stateful parameter must be present with the right shape and
    /// dtype, step counters non-negative, and no other `optimizer.` name present (sorted, so that the
    /// error names the same stray tensor every time); nothing is written unless every check passes.
    func load(_ tensors: [String: Tensor], buffer: ParameterBuffer) throws {
        var expected = Set<String>()
        var copies: [(from: Tensor, fromOffset: Int, to: Tensor, toOffset: Int, count: Int)] = []
        let width = buffer.dtype.byteWidth
        let mine = Dictionary(uniqueKeysWithValues: pieces.enumerated().map { ($1.parameter, ($0, $1.range)) })
        // A stateless optimizer (SGD without momentum) expects nothing, and refuses any `optimizer.` name.
        for (parameter, segment) in buffer.segments.enumerated() where steps != nil && !segment.isEmpty {
            let (name, tensor) = buffer.entries[parameter]
            let piece = mine[parameter]
            for (slotName, slot) in zip(slotNames, slots) {
                let key = StateSlots.name(name, slotName)
                expected.insert(key)
                let found = try Self.find(key, in: tensors, shape: tensor.shape, dtype: buffer.dtype)
                if let (_, range) = piece {
                    copies.append((found, (range.lowerBound - segment.lowerBound) * width, slot,
                                   (range.lowerBound - shard.lowerBound) * width, range.count * width))
                }
            }
            let key = StateSlots.name(name, "step")
            expected.insert(key)
            let found = try Self.find(key, in: tensors, shape: [], dtype: .int64)
            if StateSlots.steps(found) < 0 {
                throw OptimizerError.invalidStepCount(name: key, value: Double(StateSlots.steps(found)))
            }
            if let (k, _) = piece { copies.append((found, 0, steps!, k * 8, 8)) }
        }
        for name in tensors.keys.sorted() where name.hasPrefix("optimizer.") && !expected.contains(name) {
            throw OptimizerError.unexpectedState(name: name)
        }
        for c in copies where c.from.rawPointer + c.fromOffset != c.to.rawPointer + c.toOffset {
            (c.to.rawPointer + c.toOffset).copyMemory(from: c.from.rawPointer + c.fromOffset, byteCount: c.count)
        }
    }

    private static func find(_ name: String, in tensors: [String: Tensor], shape: [Int], dtype: DType) throws -> Tensor {
        guard let found = tensors[name] else { throw OptimizerError.missingState(name: name) }
        guard found.shape == shape, found.dtype == dtype else {
            throw OptimizerError.stateMismatch(name: name, expectedShape: shape, expectedDType: dtype,
                                               foundShape: found.shape, foundDType: found.dtype)
        }
        return found
    }
}
