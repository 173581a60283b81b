import TensorCore

/// Naming, step-count reading and checked loading of optimizer state, shared by all optimizers.
///
/// A slot is named `optimizer.<param>.<slot>` (the checkpoint layout in docs/architecture.md).
/// Each stateful parameter has a `step` slot: an int64 scalar counting the updates *that parameter*
/// received. It is per parameter, as in PyTorch, because a parameter without a gradient is skipped
/// and then lags behind the others (Adam's bias correction must use its own count).
enum StateSlots {
    /// The checkpoint name of `slot` of parameter `parameter`.
    static func name(_ parameter: String, _ slot: String) -> String {
        "optimizer.\(parameter).\(slot)"
    }

    /// The value of a step counter.
    static func steps(_ counter: Tensor) -> Int {
        Int(counter.rawPointer.assumingMemoryBound(to: Int64.self).pointee)
    }

    /// Copies `source[name]` into each live slot of `slots`, after checking that every slot is
    /// present with the right shape and dtype, that step counters are non-negative, and that
    /// `source` has no other `optimizer.` names. Nothing is written unless every check passes,
    /// so a failed load leaves the optimizer as it was.
    static func load(_ source: [String: Tensor], into slots: [(name: String, tensor: Tensor)]) throws {
        var expected = Set<String>()
        var copies: [(from: Tensor, to: Tensor)] = []
        copies.reserveCapacity(slots.count)
        for (name, destination) in slots {
            expected.insert(name)
            guard let found = source[name] else { throw OptimizerError.missingState(name: name) }
            guard found.shape == destination.shape, found.dtype == destination.dtype else {
                throw OptimizerError.stateMismatch(name: name, expectedShape: destination.shape,
                                                   expectedDType: destination.dtype,
                                                   foundShape: found.shape, foundDType: found.dtype)
            }
            if found.dtype == .int64, steps(found) < 0 {
                throw OptimizerError.invalidStepCount(name: name, value: Double(steps(found)))
            }
            copies.append((found, destination))
        }
        // Sorted so that the error names the same stray tensor on every run.
        for name in source.keys.sorted() where name.hasPrefix("optimizer.") && !expected.contains(name) {
            throw OptimizerError.unexpectedState(name: name)
        }
        for (from, to) in copies where from !== to {
            to.copyElements(from: from)
        }
    }
}
