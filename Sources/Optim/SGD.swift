import TensorCore

/// Stochastic gradient descent with optional momentum, dampening, Nesterov momentum and L2 weight
/// decay: `torch.optim.SGD` with `foreach=False`, same defaults, same update, same checks.
///
/// State, when `momentum != 0`: `optimizer.<param>.momentum_buffer` (the parameter's shape and
/// dtype) and `optimizer.<param>.step` (int64 scalar). The buffer is set to the gradient on a
/// parameter's first step, as PyTorch does when its buffer is still `None`; the step count is how
/// this implementation knows it is the first step after a restore. Without momentum, SGD is
/// stateless and `stateTensors()` is empty.
///
/// The update runs over the flat parameter and gradient buffers (`ParameterBuffer`): in training,
/// one fused loop over the whole shard per step. State lives in flat slots (`FlatState`).
///
/// ```swift
/// let sgd = try SGD(parameters: model.namedParameters(), lr: 0.1, momentum: 0.9, weightDecay: 1e-4,
///                   nesterov: true)
/// try sgd.step()
/// ```
public final class SGD: Optimizer {
    public var learningRate: Double
    public let momentum: Double
    public let dampening: Double
    public let weightDecay: Double
    public let nesterov: Bool

    let buffer: ParameterBuffer
    /// `momentum_buffer` over the shard and a step count per parameter; no slots without momentum.
    let state: FlatState

    public var parameters: [(name: String, tensor: Tensor)] { buffer.entries }
    /// The elements `[lo, hi)` of the flat parameter buffer this optimizer updates and holds state for.
    public var shard: Range<Int> { state.shard }

    /// Throws `OptimizerError` for a negative or non-finite `lr`, `momentum`, `dampening` or
    /// `weightDecay`, for Nesterov without momentum or with dampening (as PyTorch does), for an
    /// empty, duplicated, non-float or mixed-dtype parameter list, and for a shard outside the
    /// parameters' elements. `shard` (default: all) is a range of the flat buffer, parameters
    /// counted in the order given: only those elements are updated and have state.
    public init(parameters: [(name: String, tensor: Tensor)], lr: Double = 1e-3, momentum: Double = 0,
                dampening: Double = 0, weightDecay: Double = 0, nesterov: Bool = false,
                shard: Range<Int>? = nil) throws {
        let name = "SGD"
        try HyperparameterCheck.nonNegative(lr, "learning rate", in: name)
        try HyperparameterCheck.nonNegative(momentum, "momentum", in: name)
        try HyperparameterCheck.nonNegative(dampening, "dampening", in: name)
        try HyperparameterCheck.nonNegative(weightDecay, "weight_decay", in: name)
        if nesterov, momentum <= 0 || dampening != 0 {
            throw OptimizerError.invalidCombination(
                optimizer: name, reason: "Nesterov momentum requires a momentum and zero dampening")
        }
        buffer = try ParameterBuffer(parameters, optimizer: name)
        self.learningRate = lr
        self.momentum = momentum
        self.dampening = dampening
        self.weightDecay = weightDecay
        self.nesterov = nesterov
        // Allocated up front (not on first use) so that state always has every slot and a
        // checkpoint missing one is caught by `loadState`.
        state = try FlatState(buffer, shard: shard, slots: momentum != 0 ? ["momentum_buffer"] : [],
                              countsSteps: momentum != 0, optimizer: name)
    }

    public func step(elements: Range<Int>, gradientScale: Double) throws {
        try HyperparameterCheck.nonNegative(learningRate, "learning rate", in: "SGD")
        let present = try buffer.gatherGradients()
        state.forEachRun(present: present, within: elements) { range, step in
            switch buffer.dtype {
            case .float32: update(range, firstStep: step == 1, gradientScale: gradientScale, Float.self)
            case .float64: update(range, firstStep: step == 1, gradientScale: gradientScale, Double.self)
            case .int64: preconditionFailure("int64 parameters are refused when the optimizer is built")
            }
        }
    }

    /// One fused pass of `sgdKernel` over the flat elements `range`.
    private func update<T: TensorScalar>(_ range: Range<Int>, firstStep: Bool, gradientScale: Double, _: T.Type) {
        let lo = range.lowerBound
        sgdKernel(param: buffer.values.pointer(as: T.self) + lo, grad: buffer.gradients.pointer(as: T.self) + lo,
                  buffer: state.slots.isEmpty ? nil : state.slotPointer(0, at: lo, as: T.self),
                  firstStep: firstStep, count: range.count,
                  SGDCoefficients<T>(lr: learningRate, momentum: momentum, dampening: dampening,
                                     weightDecay: weightDecay, nesterov: nesterov, gradientScale: gradientScale))
    }

    public func zeroGrad(setToNil: Bool) { buffer.zeroGrad(setToNil: setToNil) }

    public func stateTensors() -> [(name: String, tensor: Tensor)] { state.stateTensors() }

    public func loadState(_ tensors: [String: Tensor]) throws {
        try state.load(tensors, buffer: buffer)
    }

    public func gatheredStateTensors(shards: [Range<Int>], allGather: StateAllGather) throws -> [(name: String, tensor: Tensor)] {
        try state.gathered(shards: shards, buffer: buffer, allGather: allGather)
    }
}
