import TensorCore

/// Which leaf gradients a backward pass has finished: what `backward(onLeafGradientFinal:)` reports.
///
/// A leaf's gradient is final once the last edge into it has run. Most rules return a leaf's gradient
/// whole and the pass reports the leaf then; a rule that writes it in parts itself
/// (`Tensor.writeLeafGradient(_:inParts:)`, `linear`'s weight gradient in row panels) reports each part
/// as soon as it is written, provided its node holds the leaf's only pending edge. That lets a
/// data-parallel runner start reducing the first rows of the last layer's weight gradient while the
/// GEMM of the others still runs. Every element is reported exactly once per pass.
///
/// Bound to the thread for the length of a pass (task-local), so that a rule reaches it without an
/// argument, and a nested pass (a checkpointed block's replay) binds its own. Unchecked `Sendable`:
/// it is used only on the thread running its pass.
final class LeafFinality: @unchecked Sendable {
    @TaskLocal static var current: LeafFinality?

    private let report: (Tensor, Range<Int>) -> Void
    /// How many edges still lead into each leaf.
    private var pendingEdges: [ObjectIdentifier: Int] = [:]
    /// Leaves the running node holds the last edge into: their parts are final as written.
    private var armed: [ObjectIdentifier] = []
    /// Leaves already reported part by part.
    private var reportedInParts: Set<ObjectIdentifier> = []

    init(nodes: [Node], report: @escaping (Tensor, Range<Int>) -> Void) {
        self.report = report
        for node in nodes {
            for case .leaf(let leaf) in node.edges { pendingEdges[ObjectIdentifier(leaf), default: 0] += 1 }
        }
    }

    /// Before `node`'s rule runs. (A leaf with one pending edge, this node's, gets no other edge from
    /// it: a node that uses a leaf twice leaves it two pending edges until both have run.)
    func willRun(_ node: Node) {
        armed.removeAll(keepingCapacity: true)
        for case .leaf(let leaf) in node.edges where pendingEdges[ObjectIdentifier(leaf)] == 1 {
            armed.append(ObjectIdentifier(leaf))
        }
    }

    /// Whether a part of `leaf`'s gradient written now is final.
    func writesFinalParts(of leaf: Tensor) -> Bool { armed.contains(ObjectIdentifier(leaf)) }

    /// A rule has written `elements` of `leaf`'s gradient, and `writesFinalParts(of:)` said they are final.
    func partWritten(_ leaf: Tensor, elements: Range<Int>) {
        reportedInParts.insert(ObjectIdentifier(leaf))
        report(leaf, elements)
    }

    /// One edge into `leaf` has run: after its last, the leaf is reported whole unless its parts were.
    func edgeRan(into leaf: Tensor) {
        let key = ObjectIdentifier(leaf)
        let left = pendingEdges[key]! - 1
        pendingEdges[key] = left
        if left == 0, leaf.grad != nil, !reportedInParts.contains(key) { report(leaf, 0..<leaf.count) }
    }
}
