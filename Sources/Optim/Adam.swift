import TensorCore

/// Adam (Kingma & Ba, 2015) with L2 weight decay added to the gradient and optional AMSGrad:
/// `torch.optim.Adam` with `foreach=False`, same defaults, same update, same checks.
///
/// Bias corrections follow PyTorch exactly: with `t` the parameter's own step count,
/// `step_size = lr / (1 − β1^t)` and `denom = sqrt(v) / sqrt(1 − β2^t) + eps`.
///
/// State per parameter: `optimizer.<param>.exp_avg`, `.exp_avg_sq`, `.max_exp_avg_sq` (AMSGrad
/// only), each of the parameter's shape and dtype, and `.step` (int64 scalar).
///
/// ```swift
/// let adam = try Adam(parameters: model.namedParameters, lr: 1e-3, betas: (0.9, 0.999))
/// try adam.step()
/// ```
public final class Adam: AdamFamily {
    /// Throws `OptimizerError` for a negative or non-finite `lr`, `eps` or `weightDecay`, betas
    /// outside [0, 1), and an empty, duplicated or non-float parameter list.
    public init(parameters: [(name: String, tensor: Tensor)], lr: Double = 1e-3,
                betas: (Double, Double) = (0.9, 0.999), eps: Double = 1e-8, weightDecay: Double = 0,
                amsgrad: Bool = false) throws {
        try super.init(core: AdamCore(name: "Adam", parameters: parameters, lr: lr, betas: betas, eps: eps,
                                      weightDecay: weightDecay, amsgrad: amsgrad, decoupled: false))
    }
}
