import TensorCore

extension Tensor {
    /// Records `output = op(inputs)` for autograd when grad mode is on and an input requires grad.
    /// `backward` maps the output's gradient to one gradient per input (nil where none is needed);
    /// it is the op's derivative rule, written once, beside its forward.
    ///
    /// This is the primitive every differentiable op is built on, custom functions included.
    @discardableResult
    public static func record(_ op: String, inputs: [Tensor], output: Tensor,
                              backward: @escaping (Tensor) throws -> [Tensor?]) throws -> Tensor {
        switch GradMode.current {
        case .inference:
            output.isInferenceTensor = true
            return output
        case .noGrad:
            return output
        case .enabled:
            break
        }
        guard inputs.contains(where: { $0.requiresGrad }) else { return output }
        if inputs.contains(where: { $0.isInferenceTensor }) { throw AutogradError.inferenceTensorInGraph(op: op) }
        let edges = inputs.map { input -> Node.Edge in
            guard input.requiresGrad else { return .none }
            if let node = input.gradFn as? Node { return .node(node) }
            return .leaf(input)
        }
        output.requiresGrad = true
        output.gradFn = Node(name: op, edges: edges, backwardRule: backward)
        return output
    }

    /// Makes this tensor a leaf that receives gradients; returns self for chaining.
    @discardableResult
    public func requiringGrad(_ flag: Bool = true) -> Tensor {
        precondition(gradFn == nil, "requiringGrad on a non-leaf tensor (it was produced by \((gradFn as? Node)?.name ?? "an op"))")
        requiresGrad = flag
        return self
    }

    /// A tensor sharing this one's storage, cut off from the graph.
    public func detached() -> Tensor {
        Tensor(storage: storage, offset: offset, shape: shape, dtype: dtype)
    }

    /// The node that produced this tensor, if any.
    public var node: Node? { gradFn as? Node }
}
