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
/// ```swift
/// let sgd = try SGD(parameters: [("w", w)], lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 1e-4)
/// try sgd.step()
/// ```
public final class SGD: Optimizer {
    public var learningRate: Double
    public let momentum: Double
    public let dampening: Double
    public let weightDecay: Double
    public let nesterov: Bool

    private let params: ParameterList
    /// Per parameter: momentum buffer and step count; empty without momentum.
    private var buffers: [(buffer: Tensor, step: Tensor)] = []

    public var parameters: [(name: String, tensor: Tensor)] { params.entries }

    /// Throws `OptimizerError` for a negative or non-finite `lr`, `momentum`, `dampening` or
    /// `weightDecay`, for Nesterov without momentum or with dampening (as PyTorch does), and for
    /// an empty, duplicated or non-float parameter list.
    public init(parameters: [(name: String, tensor: Tensor)], lr: Double = 1e-3, momentum: Double = 0,
                dampening: Double = 0, weightDecay: Double = 0, nesterov: Bool = false) throws {
        let name = "SGD"
        try HyperparameterCheck.nonNegative(lr, "learning rate", in: name)
        try HyperparameterCheck.nonNegative(momentum, "momentum", in: name)
        try HyperparameterCheck.nonNegative(dampening, "dampening", in: name)
        try HyperparameterCheck.nonNegative(weightDecay, "weight_decay", in: name)
        if nesterov, momentum <= 0 || dampening != 0 {
            throw OptimizerError.invalidCombination(
                optimizer: name, reason: "Nesterov momentum requires a momentum and zero dampening")
        }
        self.params = try ParameterList(parameters, optimizer: name)
        self.learningRate = lr
        self.momentum = momentum
        self.dampening = dampening
        self.weightDecay = weightDecay
        self.nesterov = nesterov
        if momentum != 0 {
            // Allocated up front (not on first use) so that state always has every slot and a
            // checkpoint missing one is caught by `loadState`.
            buffers = params.entries.map { (Tensor.zeros($0.tensor.shape, dtype: $0.tensor.dtype),
                                            StateSlots.newStepCounter()) }
        }
    }

    public func step() throws {
        try HyperparameterCheck.nonNegative(learningRate, "learning rate", in: "SGD")
        let grads = try params.gradients()
        for (i, (_, param)) in params.entries.enumerated() {
            guard let grad = grads[i] else { continue }
            var buffer: Tensor?
            var firstStep = false
            if momentum != 0 {
                buffer = buffers[i].buffer
                firstStep = StateSlots.increment(buffers[i].step) == 1
            }
            sgdUpdate(param: param, grad: grad, buffer: buffer, firstStep: firstStep, lr: learningRate,
                      momentum: momentum, dampening: dampening, weightDecay: weightDecay, nesterov: nesterov)
        }
    }

    public func zeroGrad(setToNil: Bool) { params.zeroGrad(setToNil: setToNil) }

    public func stateTensors() -> [(name: String, tensor: Tensor)] {
        zip(params.entries, buffers).flatMap { param, slots in
            [(StateSlots.name(param.name, "momentum_buffer"), slots.buffer),
             (StateSlots.name(param.name, "step"), slots.step)]
        }
    }

    public func loadState(_ tensors: [String: Tensor]) throws {
        try StateSlots.load(tensors, into: stateTensors())
    }
}
