import TensorCore

extension Tensor {
    /// Reverse-mode differentiation: accumulates `∂self/∂leaf · gradient` into the `.grad` of every
    /// leaf that requires grad.
    ///
    /// The graph is walked iteratively (no recursion limit) in reverse topological order: a node runs
    /// once all the gradients flowing into it have arrived. Unless `retainGraph`, each node frees its
    /// saved tensors as soon as it has run, and a second backward through it throws.
    ///
    /// `onLeafGradientFinal` is called (on this thread) for each leaf as soon as the last node that
    /// feeds it has run, so its `.grad` will not change again in this pass: what a data-parallel
    /// runner needs to start reducing a bucket of gradients while backward goes on. A leaf that no
    /// gradient reaches is not reported.
    ///
    /// ```swift
    /// let loss = try (w * x + b - target).pow(2).sum()
    /// try loss.backward()
    /// w.grad   // ∂loss/∂w
    /// ```
    public func backward(_ gradient: Tensor? = nil, retainGraph: Bool = false,
                         onLeafGradientFinal: ((Tensor) -> Void)? = nil) throws {
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
            onLeafGradientFinal?(self)
            return
        }
        let nodes = try Self.discover(from: root)
        // How many edges still lead into each leaf; counted only when someone listens.
        var pendingLeafEdges: [ObjectIdentifier: Int] = [:]
        if onLeafGradientFinal != nil {
            for node in nodes {
                for case .leaf(let leaf) in node.edges { pendingLeafEdges[ObjectIdentifier(leaf), default: 0] += 1 }
            }
        }
        defer { for node in nodes { node.isDiscovered = false; node.pendingGradient = nil; node.unmetDependencies = 0 } }

        root.pendingGradient = seed
        var ready = [root]
        while let node = ready.popLast() {
            guard let rule = node.backwardRule else { throw AutogradError.graphFreed(op: node.name) }
            let inputGradients: [Tensor?]
            if let outputGradient = node.pendingGradient {
                node.pendingGradient = nil
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
                    if let onLeafGradientFinal {
                        let key = ObjectIdentifier(leaf)
                        let left = pendingLeafEdges[key]! - 1
                        pendingLeafEdges[key] = left
                        if left == 0, leaf.grad != nil { onLeafGradientFinal(leaf) }
                    }
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
    /// the rule then returns nil for that input.
    public static func writeLeafGradient(_ leaf: Tensor, _ write: (Tensor, _ accumulate: Bool) -> Void) {
        if let existing = leaf.grad {
            write(existing, true)
        } else {
            let destination = leaf.gradSlot ?? Tensor(uninitializedShape: leaf.shape, dtype: leaf.dtype)
            write(destination, false)
            leaf.grad = destination
        }
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
