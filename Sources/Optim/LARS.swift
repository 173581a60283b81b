import TensorCore

/// LARS, layer-wise adaptive rate scaling (You, Gitman & Ginsburg, 2017): SGD with momentum whose
/// gradient, for each parameter tensor, is scaled by a trust ratio that makes the step a fixed
/// fraction of the tensor's norm, so that a large learning rate (a large batch) does not blow up the
/// layers whose gradients are large relative to their weights. torch.optim has no LARS; this is the
/// paper's rule in the form of apex's `LARC` around `torch.optim.SGD` (lr outside the momentum):
///
///     g = g·s                                    (s = 1/B fused, as in SGD)
///     λ = η‖p‖ / (‖g‖ + wd‖p‖ + eps)             when ‖p‖ > 0 and ‖g‖ > 0, else 1
///     d = (g + wd·p)·λ
///     b = d (first step), else momentum·b + d
///     d = d + momentum·b (Nesterov), else b
///     p = p − lr·d
///
/// Parameters excluded from adaptation (`exclude`, by default every one-dimensional tensor: biases
/// and normalisation parameters) take λ = 1 and no weight decay. Norms are per parameter tensor,
/// summed in the fixed grouping of `TensorNorms`, so every world size and every sharding gives the
/// same bits; an `elements` range other than the whole shard is refused.
///
/// State, with momentum: `optimizer.<param>.momentum_buffer` and `.step`, as `SGD` names them.
///
/// ```swift
/// let lars = try LARS(parameters: model.namedParameters(), lr: 4, momentum: 0.9, weightDecay: 1e-4)
/// try lars.step()
/// ```
public final class LARS: LayerwiseOptimizer {
    public var learningRate: Double
    public let momentum: Double
    public let weightDecay: Double
    /// η, the fraction of ‖p‖ a step of lr 1 moves the tensor by.
    public let trustCoefficient: Double
    public let eps: Double
    public let nesterov: Bool
    public var shardExchange: ShardExchange?
    public var adapted: [Bool] { layerwise.adapted }

    let buffer: ParameterBuffer
    let state: FlatState
    private var layerwise: LayerwiseNorms

    public var parameters: [(name: String, tensor: Tensor)] { buffer.entries }
    public var shard: Range<Int> { state.shard }
    public var updatesElementwise: Bool { false }

    /// Throws `OptimizerError` for a negative or non-finite hyperparameter, Nesterov without
    /// momentum, the parameter-list errors of every optimizer, and a shard that is not block-aligned.
    public init(parameters: [(name: String, tensor: Tensor)], lr: Double, momentum: Double = 0.9,
                weightDecay: Double = 0, trustCoefficient: Double = 0.001, eps: Double = 1e-8, nesterov: Bool = false,
                exclude: AdaptationExclusion = .oneDimensional, shard: Range<Int>? = nil) throws {
        let name = "LARS"
        try HyperparameterCheck.nonNegative(lr, "learning rate", in: name)
        try HyperparameterCheck.nonNegative(momentum, "momentum", in: name)
        try HyperparameterCheck.nonNegative(weightDecay, "weight_decay", in: name)
        try HyperparameterCheck.nonNegative(trustCoefficient, "trust_coefficient", in: name)
        try HyperparameterCheck.nonNegative(eps, "eps", in: name)
        if nesterov, momentum <= 0 {
            throw OptimizerError.invalidCombination(optimizer: name, reason: "Nesterov momentum requires a momentum")
        }
        buffer = try ParameterBuffer(parameters, optimizer: name)
        (learningRate, self.momentum, self.weightDecay) = (lr, momentum, weightDecay)
        (self.trustCoefficient, self.eps, self.nesterov) = (trustCoefficient, eps, nesterov)
        state = try FlatState(buffer, shard: shard, slots: momentum != 0 ? ["momentum_buffer"] : [],
                              countsSteps: momentum != 0, optimizer: name)
        layerwise = try LayerwiseNorms(buffer, shard: state.shard, exclude: exclude, optimizer: name)
    }

    public func step(elements: Range<Int>, gradientScale: Double) throws {
        try HyperparameterCheck.nonNegative(learningRate, "learning rate", in: "LARS")
        try LayerwiseNorms.checkWholeShard(elements, shard, optimizer: "LARS")
        let present = try buffer.gatherGradients()
        let steps = state.advanceWholeShard(present: present)
        switch buffer.dtype {
        case .float32: try update(present, steps, gradientScale, Float.self)
        case .float64: try update(present, steps, gradientScale, Double.self)
        case .int64: preconditionFailure("int64 parameters are refused when the optimizer is built")
        }
    }

    private func update<T: TensorScalar>(_ present: [Bool], _ steps: [Int], _ gradientScale: Double, _: T.Type) throws {
        let p = buffer.values.pointer(as: T.self), g = buffer.gradients.pointer(as: T.self)
        let s = T(gradientScale)
        for k in layerwise.mine {
            let (parameter, range) = layerwise.norms.pieces[k]
            guard present[parameter], layerwise.adapted[parameter] else { continue }
            let lo = range.lowerBound
            layerwise.record(piece: k, parameter: TensorNorms.squaredSum(count: range.count) { p[lo + $0] },
                             direction: TensorNorms.squaredSum(count: range.count) { g[lo + $0] * s })
        }
        let norms = try layerwise.complete(shardExchange, optimizer: "LARS")
        let wd = T(weightDecay), mu = T(momentum), negLR = T(-learningRate)
        for k in layerwise.mine {
            let (parameter, range) = layerwise.norms.pieces[k]
            guard present[parameter] else { continue }
            let adapted = layerwise.adapted[parameter]
            let (pn, gn) = norms[parameter]
            let trust = T(adapted && pn > 0 && gn > 0 ? trustCoefficient * pn / (gn + weightDecay * pn + eps) : 1)
            let b: UnsafeMutablePointer<T>? = momentum != 0 ? state.slotPointer(0, at: range.lowerBound, as: T.self) : nil
            let first = steps[parameter] == 1
            for i in range {
                var d = g[i] * s
                if adapted { d = (d + wd * p[i]) * trust }
                if let b {
                    let j = i - range.lowerBound
                    b[j] = first ? d : mu * b[j] + d
                    d = nesterov ? d + mu * b[j] : b[j]
                }
                p[i] = p[i] + negLR * d
            }
        }
    }

    public func zeroGrad(setToNil: Bool) { buffer.zeroGrad(setToNil: setToNil) }

    public func stateTensors() -> [(name: String, tensor: Tensor)] { state.stateTensors() }

    public func loadState(_ tensors: [String: Tensor]) throws { try state.load(tensors, buffer: buffer) }

    public func gatheredStateTensors(shards: [Range<Int>], allGather: StateAllGather) throws -> [(name: String, tensor: Tensor)] {
        try state.gathered(shards: shards, buffer: buffer, allGather: allGather)
    }
}
