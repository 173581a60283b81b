import TensorCore

/// One recorded op of the graph: where its inputs' gradients go, and the rule that computes them.
///
/// A node holds its inputs' producers (or the leaf tensors themselves) but not its output, so the graph
/// is kept alive by the tensors that point at it and goes away with them. The backward rule is a
/// closure that captured what it needs from the forward pass; releasing it frees those saved tensors.
public final class Node: AutogradNode {
    /// Where the gradient of one input goes.
    enum Edge {
        /// The input does not require grad.
        case none
        /// The input is a leaf: its gradient accumulates into `.grad`.
        case leaf(Tensor)
        /// The input came from another op.
        case node(Node)
    }

    /// The op's name, for error messages and graph printing.
    public let name: String
    var edges: [Edge]
    /// `grad of output → grads of inputs` (nil for an input that needs none). Nil once released.
    var backwardRule: ((Tensor) throws -> [Tensor?])?
    /// Set when the saved state was freed by a backward without `retainGraph`.
    private(set) var isReleased = false
    /// Called once by `release()`, for saved state the backward rule does not own alone (a custom
    /// function's context, which its author may still hold).
    var onRelease: (() -> Void)?

    // Scratch state of one backward pass.
    var pendingGradient: Tensor?
    var unmetDependencies = 0
    var isDiscovered = false

    init(name: String, edges: [Edge], backwardRule: @escaping (Tensor) throws -> [Tensor?]) {
        self.name = name
        self.edges = edges
        self.backwardRule = backwardRule
    }

    /// Frees the saved tensors and the edges; a later backward through this node throws.
    func release() {
        backwardRule = nil
        edges = []
        isReleased = true
        onRelease?()
        onRelease = nil
    }

    /// The producers of this node's inputs (for graph walks in tests and tools).
    public var inputNodes: [Node] {
        edges.compactMap { if case .node(let n) = $0 { n } else { nil } }
    }
}
