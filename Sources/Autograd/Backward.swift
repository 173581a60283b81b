import TensorCore

extension Tensor {
    /// Reverse-mode differentiation: accumulates `∂self/∂leaf · gradient` into the `.grad` of every
    /// leaf that requires grad.
    ///
    /// The graph is walked iteratively (no recursion limit) in reverse topological order: a node runs
    /// once all the gradients flowing into it have arrived. Unless `retainGraph`, each node frees its
    /// saved tensors as soon as it has run, and a second backward through it throws.
    ///
    /// `onLeafGradientFinal(leaf, elements)` is called (on this thread) as soon as `elements` of a
    /// leaf's `.grad` will not change again in this pass: what a data-parallel runner needs to start
    /// reducing a bucket of gradients while backward goes on. A leaf is usually reported whole, once
    /// the last node that feeds it has run; a rule that writes a leaf's gradient in parts
    /// (`writeLeafGradient(_:inParts:)`: `linear`'s weight, in row panels) reports each part as it is
    /// written when no other edge leads into the leaf. Every element is reported once; a leaf that no
    /// gradient reaches is not reported.
    ///
    /// ```swift
    /// let loss = try (w * x + b - target).pow(2).sum()
    /// try loss.backward()
    /// w.grad   // ∂loss/∂w
    /// ```
    public func backward(_ gradient: Tensor? = nil, retainGraph: Bool = false,
                         onLeafGradientFinal: ((Tensor, Range<Int>) -> Void)? = nil) throws {
        guard requiresGrad else { throw AutogradError.backwardWithoutGrad }
        let seed: Tensor
        if let gradient {
            guard gradient.shape == shape else {
                throw AutogradError.shapeMismatch(op: "backward", lhs: shape, rhs: gradient.shape)
            }
            seed = gradient
        } else {
            guard count == 1 else { throw AutogradError.implicitGradientOfNonScalar(shape: shape) }
            seed = Tensor.full(shape, 1, dtype: dtype)
        }
        guard let root = gradFn as? Node else {
            Tensor.accumulate(seed, intoLeaf: self)
            onLeafGradientFinal?(self, 0..<count)
            return
        }
        let nodes = try Self.discover(from: root)
        defer { for node in nodes { node.isDiscovered = false; node.pendingGradient = nil; node.unmetDependencies = 0 } }
        // Tracked only when someone listens. A pass nested in a listened one (a checkpointed block's
        // replay) binds its own, even nil, so that it never reports to the outer one; otherwise there
        // is nothing to bind (binding costs an allocation per backward).
        let finality = onLeafGradientFinal.map { LeafFinality(nodes: nodes, report: $0) }
        if finality == nil && LeafFinality.current == nil {
            return try Self.run(from: root, seed: seed, retainGraph: retainGraph, finality: nil)
        }
        try LeafFinality.$current.withValue(finality) {
            try Self.run(from: root, seed: seed, retainGraph: retainGraph, finality: finality)
        }
    }

    /// Runs every node once all the gradients flowing into it have arrived.
    private static func run(from root: Node, seed: Tensor, retainGraph: Bool, finality: LeafFinality?) throws {
        root.pendingGradient = seed
        var ready = [root]
        while let node = ready.popLast() {
            guard let rule = node.backwardRule else { throw AutogradError.graphFreed(op: node.name) }
            let inputGradients: [Tensor?]
            if let outputGradient = node.pendingGradient {
                node.pendingGradient = nil
                finality?.willRun(node)
                inputGradients = try rule(outputGradient)
            } else {
                // No gradient reached this node (every path to it returned nil): pass nothing on.
                inputGradients = Array(repeating: nil, count: node.edges.count)
            }
            guard inputGradients.count == node.edges.count else {
                throw AutogradError.wrongGradientCount(op: node.name, returned: inputGradients.count, expected: node.edges.count)
            }
            for (edge, gradient) in Swift.zip(node.edges, inputGradients) {
                switch edge {
                case .none:
                    continue
                case .leaf(let leaf):
                    if let gradient { Tensor.accumulate(gradient, intoLeaf: leaf) }
                    finality?.edgeRan(into: leaf)
                case .node(let next):
                    if let gradient {
                        // Out of place: a rule may hand the same tensor to several inputs.
                        next.pendingGradient = next.pendingGradient.map { $0.zip(gradient, .add)! } ?? gradient
                    }
                    next.unmetDependencies -= 1
                    if next.unmetDependencies == 0 { ready.append(next) }
                }
            }
            if !retainGraph { node.release() }
        }
    }

    /// Every node reachable from `root`, with each node's count of incoming edges set.
    private static func discover(from root: Node) throws -> [Node] {
        if root.isReleased { throw AutogradError.graphFreed(op: root.name) }
        var nodes = [root]
        root.isDiscovered = true
        var stack = [root]
        while let node = stack.popLast() {
            for case .node(let next) in node.edges {
                next.unmetDependencies += 1
                if !next.isDiscovered {
                    if next.isReleased {
                        for n in nodes { n.isDiscovered = false; n.unmetDependencies = 0 }
                        throw AutogradError.graphFreed(op: next.name)
                    }
                    next.isDiscovered = true
                    nodes.append(next)
                    stack.append(next)
                }
            }
        }
        return nodes
    }

    /// Lets a backward rule write a leaf's gradient itself, straight into `.grad` (or the leaf's
    /// gradient slot), instead of returning a tensor for the engine to copy or add: `write(destination,
    /// accumulate)` must store the gradient into `destination`, or add it when `accumulate` is true.
    /// A GEMM does either through its `beta`, which saves a pass over the gradient and its allocation;
    /// the rule then returns nil for that input. When the rule holds the last edge into the leaf, the
    /// gradient is reported final to `backward(onLeafGradientFinal:)` as soon as it is written, before
    /// the rule goes on.
    public static func writeLeafGradient(_ leaf: Tensor, _ write: (Tensor, _ accumulate: Bool) -> Void) {
        let (destination, accumulate, finality) = leafGradientDestination(leaf)
        write(destination, accumulate)
        finality?.partWritten(leaf, elements: 0..<leaf.count)
    }

    /// `writeLeafGradient(_:_:)` for a gradient written in parts: `write(destination, part, accumulate)`
    /// stores (or adds) the elements `part` of the gradient, once for each of `parts`, which must cover
    /// the leaf once. When this rule holds the last edge into the leaf, each part is reported final as
    /// soon as it is written, so a reduction can start on it while the rule writes the rest.
    public static func writeLeafGradient(_ leaf: Tensor, inParts parts: [Range<Int>],
                                         _ write: (Tensor, _ part: Range<Int>, _ accumulate: Bool) -> Void) {
        let (destination, accumulate, finality) = leafGradientDestination(leaf)
        for part in parts {
            write(destination, part, accumulate)
            finality?.partWritten(leaf, elements: part)
        }
    }

    /// Where a rule writes `leaf`'s gradient (its `.grad` to add to, else its gradient slot or a new
    /// tensor, bound as `.grad` before the first report: a listener may read it), and the pass to
    /// report written parts to when they are final.
    private static func leafGradientDestination(_ leaf: Tensor) -> (Tensor, accumulate: Bool, LeafFinality?) {
        let finality = LeafFinality.current.flatMap { $0.writesFinalParts(of: leaf) ? $0 : nil }
        let accumulate = leaf.grad != nil
        let destination = leaf.grad ?? leaf.gradSlot ?? Tensor(uninitializedShape: leaf.shape, dtype: leaf.dtype)
        leaf.grad = destination
        return (destination, accumulate, finality)
    }

    /// Whether this tensor is a leaf that receives a gradient in backward.
    public var isGradientLeaf: Bool { requiresGrad && gradFn == nil }

    /// Adds `gradient` into a leaf's `.grad`. The first gradient is copied (into the leaf's gradient
    /// slot when it has one, so that gradients land in a flat buffer), later ones are added in place.
    static func accumulate(_ gradient: Tensor, intoLeaf leaf: Tensor) {
        precondition(gradient.shape == leaf.shape, "gradient \(gradient.shape) for a leaf of shape \(leaf.shape)")
        if let existing = leaf.grad {
            existing.addInPlace(gradient)
        } else if let slot = leaf.gradSlot {
            slot.copyElements(from: gradient)
            leaf.grad = slot
        } else {
            leaf.grad = gradient.copy()
        }
    }
}
