import TensorCore

/// Adam (Kingma & Ba, 2015) and AdamW (Loshchilov & Hutter, 2019) with optional AMSGrad:
/// `torch.optim.Adam` with `foreach=False`, same defaults, same update, same checks, including
/// PyTorch ≥ 2.6's `decoupled_weight_decay`. Weight decay is L2 (`wd·p` added to the gradient) by
/// default; with `decoupledWeightDecay` it is AdamW's `p ← p·(1 − lr·wd)` before the update.
/// `AdamW(…)` builds the decoupled form with AdamW's default decay, 0.01.
///
/// Bias corrections follow PyTorch exactly: with `t` the parameter's own step count,
/// `step_size = lr / (1 − β1^t)` and `denom = sqrt(v) / sqrt(1 − β2^t) + eps`.
///
/// State per parameter: `optimizer.<param>.exp_avg`, `.exp_avg_sq`, `.max_exp_avg_sq` (AMSGrad
/// only), each of the parameter's shape and dtype, and `.step` (int64 scalar). Adam and AdamW share
/// the layout, so a checkpoint of one loads into the other; hyper-parameters are not state. The
/// slots are flat buffers aligned with the parameter buffer, and the update is one fused loop over
/// a contiguous range (the whole shard, in training).
///
/// ```swift
/// let adam = try Adam(parameters: model.namedParameters(), lr: 1e-3, betas: (0.9, 0.999))
/// try adam.step()
/// ```
public final class Adam: Optimizer {
    public var learningRate: Double
    public let betas: (Double, Double)
    public let eps: Double
    public let weightDecay: Double
    public let amsgrad: Bool
    /// AdamW's decay (`p ← p·(1 − lr·wd)`) instead of Adam's L2 term.
    public let decoupledWeightDecay: Bool
    /// "Adam" or "AdamW", as error messages name it.
    public let name: String

    let buffer: ParameterBuffer
    let state: FlatState

    public var parameters: [(name: String, tensor: Tensor)] { buffer.entries }
    /// The elements `[lo, hi)` of the flat parameter buffer this optimizer updates and holds state for.
    public var shard: Range<Int> { state.shard }

    /// Throws `OptimizerError` for a negative or non-finite `lr`, `eps` or `weightDecay`, betas
    /// outside [0, 1), an empty, duplicated, non-float or mixed-dtype parameter list, and a shard
    /// outside the parameters' elements. `shard` (default: all) is a range of the flat buffer,
    /// parameters counted in the order given: only those elements are updated and have state.
    public init(parameters: [(name: String, tensor: Tensor)], lr: Double = 1e-3,
                betas: (Double, Double) = (0.9, 0.999), eps: Double = 1e-8, weightDecay: Double = 0,
                amsgrad: Bool = false, decoupledWeightDecay: Bool = false, shard: Range<Int>? = nil) throws {
        let name = decoupledWeightDecay ? "AdamW" : "Adam"
        try HyperparameterCheck.nonNegative(lr, "learning rate", in: name)
        try HyperparameterCheck.nonNegative(eps, "epsilon", in: name)
        try HyperparameterCheck.unitInterval(betas.0, "beta1", in: name)
        try HyperparameterCheck.unitInterval(betas.1, "beta2", in: name)
        try HyperparameterCheck.nonNegative(weightDecay, "weight_decay", in: name)
        buffer = try ParameterBuffer(parameters, optimizer: name)
        self.name = name
        learningRate = lr
        self.betas = betas
        self.eps = eps
        self.weightDecay = weightDecay
        self.amsgrad = amsgrad
        self.decoupledWeightDecay = decoupledWeightDecay
        // Zeros with step 0 up front, which is exactly PyTorch's lazily created state, so that state
        // always has every slot.
        state = try FlatState(buffer, shard: shard,
                              slots: ["exp_avg", "exp_avg_sq"] + (amsgrad ? ["max_exp_avg_sq"] : []),
                              countsSteps: true, optimizer: name)
    }

    public func step(elements: Range<Int>, gradientScale: Double) throws {
        try HyperparameterCheck.nonNegative(learningRate, "learning rate", in: name)
        let present = try buffer.gatherGradients()
        state.forEachRun(present: present, within: elements) { range, step in
            switch buffer.dtype {
            case .float32: update(range, step: step, gradientScale: gradientScale, Float.self)
            case .float64: update(range, step: step, gradientScale: gradientScale, Double.self)
            case .int64: preconditionFailure("int64 parameters are refused when the optimizer is built")
            }
        }
    }

    /// One fused pass of `adamKernel` over the flat elements `range`, whose parameters all have
    /// taken `step` steps (this one included).
    private func update<T: TensorScalar>(_ range: Range<Int>, step: Int, gradientScale: Double, _: T.Type) {
        let lo = range.lowerBound
        adamKernel(param: buffer.values.pointer(as: T.self) + lo, grad: buffer.gradients.pointer(as: T.self) + lo,
                   expAvg: state.slotPointer(0, at: lo, as: T.self),
                   expAvgSq: state.slotPointer(1, at: lo, as: T.self),
                   maxExpAvgSq: amsgrad ? state.slotPointer(2, at: lo, as: T.self) : nil, count: range.count,
                   AdamCoefficients<T>(lr: learningRate, beta1: betas.0, beta2: betas.1, eps: eps,
                                       weightDecay: weightDecay, decoupled: decoupledWeightDecay, step: step,
                                       gradientScale: gradientScale))
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

/// AdamW: `Adam` with decoupled weight decay and AdamW's defaults (`weightDecay` 0.01), as
/// `torch.optim.AdamW`. A factory, not a type: the two differ only in these arguments.
///
/// ```swift
/// let opt = try AdamW(parameters: model.namedParameters(), lr: 3e-4, weightDecay: 0.05)
/// try opt.step()
/// ```
public func AdamW(parameters: [(name: String, tensor: Tensor)], lr: Double = 1e-3,
                  betas: (Double, Double) = (0.9, 0.999), eps: Double = 1e-8, weightDecay: Double = 1e-2,
                  amsgrad: Bool = false, shard: Range<Int>? = nil) throws -> Adam {
    try Adam(parameters: parameters, lr: lr, betas: betas, eps: eps, weightDecay: weightDecay,
             amsgrad: amsgrad, decoupledWeightDecay: true, shard: shard)
}
