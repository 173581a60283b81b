/// Whether ops record the graph for backward. The mode belongs to the current thread (a simulated
/// rank is a thread), and scopes nest.
///
/// - `enabled`: ops on tensors that require grad record a graph (the default).
/// - `noGrad`: nothing is recorded; outputs are ordinary tensors that may later enter a graph.
/// - `inference`: nothing is recorded and outputs are marked as inference tensors, which may never
///   enter a recorded graph (an op that tries throws). Use it for evaluation code that will never be
///   differentiated; use `noGrad` when its outputs may be.
///
/// ```swift
/// let logits = try noGrad { try model(x) }             // no graph
/// let probe = try inferenceMode { try model(x) }       // no graph, and `probe` can never join one
/// ```
public enum GradMode: Sendable, Equatable {
    case enabled
    case noGrad
    case inference

    @TaskLocal public static var current: GradMode = .enabled

    /// Whether ops record the graph right now.
    @inlinable public static var isEnabled: Bool { current == .enabled }
}

/// Runs `body` with graph recording off.
public func noGrad<R>(_ body: () throws -> R) rethrows -> R {
    // Inference mode is stricter than no-grad, so it is kept when nested.
    let mode: GradMode = GradMode.current == .inference ? .inference : .noGrad
    return try GradMode.$current.withValue(mode, operation: body)
}

/// Runs `body` with graph recording on again (inside a `noGrad` scope). Inside inference mode it has
/// no effect: inference tensors cannot be differentiated, whatever the scope.
public func enableGrad<R>(_ body: () throws -> R) rethrows -> R {
    let mode: GradMode = GradMode.current == .inference ? .inference : .enabled
    return try GradMode.$current.withValue(mode, operation: body)
}

/// Runs `body` in inference mode: no graph, and outputs marked as inference tensors.
public func inferenceMode<R>(_ body: () throws -> R) rethrows -> R {
    try GradMode.$current.withValue(.inference, operation: body)
}
