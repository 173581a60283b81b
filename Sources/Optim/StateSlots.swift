import TensorCore

/// Naming and step-count reading of optimizer state, shared by all optimizers (loading, checked, is
/// `FlatState.load`).
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
}
