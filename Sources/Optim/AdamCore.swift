import TensorCore

/// The shared body of `Adam` and `AdamW`, which differ only in how weight decay is applied and in
/// its default (PyTorch ≥ 2.6 implements AdamW as Adam with `decoupled_weight_decay=True`).
final class AdamCore {
    var learningRate: Double
    let beta1: Double
    let beta2: Double
    let eps: Double
    let weightDecay: Double
    let amsgrad: Bool
    let decoupled: Bool
    let name: String

    let params: ParameterList
    /// Per parameter, in parameter order. Allocated up front as zeros with step 0, which is exactly
    /// PyTorch's lazily created state, so that state always has every slot.
    let slots: [(expAvg: Tensor, expAvgSq: Tensor, maxExpAvgSq: Tensor?, step: Tensor)]

    init(name: String, parameters: [(name: String, tensor: Tensor)], lr: Double,
         betas: (Double, Double), eps: Double, weightDecay: Double, amsgrad: Bool,
         decoupled: Bool) throws {
        try HyperparameterCheck.nonNegative(lr, "learning rate", in: name)
        try HyperparameterCheck.nonNegative(eps, "epsilon", in: name)
        try HyperparameterCheck.unitInterval(betas.0, "beta1", in: name)
        try HyperparameterCheck.unitInterval(betas.1, "beta2", in: name)
        try HyperparameterCheck.nonNegative(weightDecay, "weight_decay", in: name)
        self.params = try ParameterList(parameters, optimizer: name)
        self.name = name
        self.learningRate = lr
        self.beta1 = betas.0
        self.beta2 = betas.1
        self.eps = eps
        self.weightDecay = weightDecay
        self.amsgrad = amsgrad
        self.decoupled = decoupled
        self.slots = params.entries.map { _, p in
            (Tensor.zeros(p.shape, dtype: p.dtype), Tensor.zeros(p.shape, dtype: p.dtype),
             amsgrad ? Tensor.zeros(p.shape, dtype: p.dtype) : nil, StateSlots.newStepCounter())
        }
    }

    func step() throws {
        try HyperparameterCheck.nonNegative(learningRate, "learning rate", in: name)
        let grads = try params.gradients()
        for (i, (_, param)) in params.entries.enumerated() {
            guard let grad = grads[i] else { continue }
            let s = slots[i]
            let step = StateSlots.increment(s.step)
            adamUpdate(param: param, grad: grad, expAvg: s.expAvg, expAvgSq: s.expAvgSq,
                       maxExpAvgSq: s.maxExpAvgSq, lr: learningRate, beta1: beta1, beta2: beta2,
                       eps: eps, weightDecay: weightDecay, decoupled: decoupled, step: step)
        }
    }

    func stateTensors() -> [(name: String, tensor: Tensor)] {
        var out: [(name: String, tensor: Tensor)] = []
        for ((paramName, _), s) in zip(params.entries, slots) {
            out.append((StateSlots.name(paramName, "exp_avg"), s.expAvg))
            out.append((StateSlots.name(paramName, "exp_avg_sq"), s.expAvgSq))
            if let maxExpAvgSq = s.maxExpAvgSq {
                out.append((StateSlots.name(paramName, "max_exp_avg_sq"), maxExpAvgSq))
            }
            out.append((StateSlots.name(paramName, "step"), s.step))
        }
        return out
    }
}
