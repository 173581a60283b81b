import TensorCore

/// LAMB, layer-wise adaptive moments (You et al., 2019, "Large Batch Optimization for Deep
/// Learning"): Adam's bias-corrected direction plus decoupled weight decay, scaled per parameter
/// tensor by the trust ratio ‖p‖ / ‖r‖, so that each tensor moves by about lr·‖p‖ whatever the
/// scale of its gradients. torch.optim has no LAMB; this is the paper's Algorithm 2 with φ the
/// identity, in the element order of apex's `FusedLAMB` and timm's `Lamb`:
///
///     g = g·s                                    (s = 1/B fused)
///     m = m·β1 + (1 − β1)·g
///     v = v·β2 + (1 − β2)·g·g
///     r = (m / bc1) / (sqrt(v) / sqrt(bc2) + eps) + wd·p      bc = 1 − β^t, t the parameter's step
///     λ = ‖p‖ / ‖r‖                              when ‖p‖ > 0 and ‖r‖ > 0, else 1
///     p = p − (lr·λ)·r
///
/// Parameters excluded from adaptation (`exclude`, by default every one-dimensional tensor) take
/// λ = 1 and no weight decay: plain Adam for them. r is computed twice (for its norm, then for the
/// update) from the same values, so it needs no buffer of its own. Norms follow `TensorNorms`: the
/// same bits at every world size and sharding; an `elements` range other than the whole shard is
/// refused.
///
/// State: `optimizer.<param>.exp_avg`, `.exp_avg_sq` and `.step`, as `Adam` names them.
///
/// ```swift
/// let lamb = try LAMB(parameters: model.namedParameters(), lr: 0.01, weightDecay: 0.01)
/// try lamb.step()
/// ```
public final class LAMB: LayerwiseOptimizer {
    public var learningRate: Double
    public let betas: (Double, Double)
    public let eps: Double
    public let weightDecay: Double
    public var shardExchange: ShardExchange?
    public var adapted: [Bool] { layerwise.adapted }

    let buffer: ParameterBuffer
    let state: FlatState
    private var layerwise: LayerwiseNorms

    public var parameters: [(name: String, tensor: Tensor)] { buffer.entries }
    public var shard: Range<Int> { state.shard }
    public var updatesElementwise: Bool { false }

    /// Throws `OptimizerError` for a negative or non-finite `lr`, `eps` or `weightDecay`, betas outside
    /// [0, 1), the parameter-list errors of every optimizer, and a shard that is not block-aligned.
    public init(parameters: [(name: String, tensor: Tensor)], lr: Double = 1e-3, betas: (Double, Double) = (0.9, 0.999),
                eps: Double = 1e-6, weightDecay: Double = 0.01, exclude: AdaptationExclusion = .oneDimensional,
                shard: Range<Int>? = nil) throws {
        let name = "LAMB"
        try HyperparameterCheck.nonNegative(lr, "learning rate", in: name)
        try HyperparameterCheck.nonNegative(eps, "epsilon", in: name)
        try HyperparameterCheck.unitInterval(betas.0, "beta1", in: name)
        try HyperparameterCheck.unitInterval(betas.1, "beta2", in: name)
        try HyperparameterCheck.nonNegative(weightDecay, "weight_decay", in: name)
        buffer = try ParameterBuffer(parameters, optimizer: name)
        (learningRate, self.betas, self.eps, self.weightDecay) = (lr, betas, eps, weightDecay)
        state = try FlatState(buffer, shard: shard, slots: ["exp_avg", "exp_avg_sq"], countsSteps: true, optimizer: name)
        layerwise = try LayerwiseNorms(buffer, shard: state.shard, exclude: exclude, optimizer: name)
    }

    public func step(elements: Range<Int>, gradientScale: Double) throws {
        try HyperparameterCheck.nonNegative(learningRate, "learning rate", in: "LAMB")
        try LayerwiseNorms.checkWholeShard(elements, shard, optimizer: "LAMB")
        let present = try buffer.gatherGradients()
        let steps = state.advanceWholeShard(present: present)
        switch buffer.dtype {
        case .float32: try update(present, steps, gradientScale, Float.self)
        case .float64: try update(present, steps, gradientScale, Double.self)
        case .int64: preconditionFailure("int64 parameters are refused when the optimizer is built")
        }
    }

    /// Per parameter, as T: 1/… is not used, so that the divisions round as the formula reads.
    private struct Corrections<T: TensorScalar> {
        let bc1: T, bc2Sqrt: T, wd: T

        init(beta1: Double, beta2: Double, step: Int, weightDecay: Double) {
            bc1 = T(1 - Double.pow(beta1, Double(step)))
            bc2Sqrt = T(Double.pow(1 - Double.pow(beta2, Double(step)), 0.5))
            wd = T(weightDecay)
        }
    }

    private func update<T: TensorScalar>(_ present: [Bool], _ steps: [Int], _ gradientScale: Double, _: T.Type) throws {
        let p = buffer.values.pointer(as: T.self), g = buffer.gradients.pointer(as: T.self)
        let s = T(gradientScale), b1 = T(betas.0), b2 = T(betas.1), e = T(eps)
        let oneMinusB1 = T(1 - betas.0), oneMinusB2 = T(1 - betas.1)
        let corrections = steps.enumerated().map { i, t in
            Corrections<T>(beta1: betas.0, beta2: betas.1, step: t, weightDecay: layerwise.adapted[i] ? weightDecay : 0)
        }
        @inline(__always) func direction(_ m: T, _ v: T, _ p: T, _ c: Corrections<T>) -> T {
            (m / c.bc1) / (v.squareRoot() / c.bc2Sqrt + e) + c.wd * p
        }
        // Pass 1: the moments, and the pieces' sums of squares of p and r.
        for k in layerwise.mine {
            let (parameter, range) = layerwise.norms.pieces[k]
            guard present[parameter] else { continue }
            let m = state.slotPointer(0, at: range.lowerBound, as: T.self)
            let v = state.slotPointer(1, at: range.lowerBound, as: T.self)
            let lo = range.lowerBound
            for j in 0..<range.count {
                let d = g[lo + j] * s
                m[j] = m[j] * b1 + oneMinusB1 * d
                v[j] = v[j] * b2 + oneMinusB2 * d * d
            }
            guard layerwise.adapted[parameter] else { continue }
            let c = corrections[parameter]
            layerwise.record(piece: k, parameter: TensorNorms.squaredSum(count: range.count) { p[lo + $0] },
                             direction: TensorNorms.squaredSum(count: range.count) { direction(m[$0], v[$0], p[lo + $0], c) })
        }
        let norms = try layerwise.complete(shardExchange, optimizer: "LAMB")
        // Pass 2: p − (lr·λ)·r.
        for k in layerwise.mine {
            let (parameter, range) = layerwise.norms.pieces[k]
            guard present[parameter] else { continue }
            let (pn, rn) = norms[parameter]
            let trust = layerwise.adapted[parameter] && pn > 0 && rn > 0 ? pn / rn : 1
            let negStep = T(-learningRate * trust), c = corrections[parameter]
            let m = state.slotPointer(0, at: range.lowerBound, as: T.self)
            let v = state.slotPointer(1, at: range.lowerBound, as: T.self)
            let lo = range.lowerBound
            for j in 0..<range.count { p[lo + j] = p[lo + j] + negStep * direction(m[j], v[j], p[lo + j], c) }
        }
    }

    public func zeroGrad(setToNil: Bool) { buffer.zeroGrad(setToNil: setToNil) }

    public func stateTensors() -> [(name: String, tensor: Tensor)] { state.stateTensors() }

    public func loadState(_ tensors: [String: Tensor]) throws { try state.load(tensors, buffer: buffer) }

    public func gatheredStateTensors(shards: [Range<Int>], allGather: StateAllGather) throws -> [(name: String, tensor: Tensor)] {
        try state.gathered(shards: shards, buffer: buffer, allGather: allGather)
    }
}
