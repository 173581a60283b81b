import TensorCore

/// AdamW (Loshchilov & Hutter, 2019): Adam with *decoupled* weight decay, `p ← p·(1 − lr·wd)`
/// applied before the Adam update instead of adding `wd·p` to the gradient:
/// `torch.optim.AdamW` with `foreach=False`, same defaults (note `weightDecay` 0.01), same update.
///
/// State: as `Adam` (`exp_avg`, `exp_avg_sq`, optional `max_exp_avg_sq`, `step`), so a checkpoint
/// of one loads into the other; the hyper-parameters live in the run's config, not in the state.
///
/// ```swift
/// let opt = try AdamW(parameters: model.namedParameters, lr: 3e-4, weightDecay: 0.05)
/// try opt.step()
/// ```
public final class AdamW: AdamFamily {
    /// Throws `OptimizerError` for a negative or non-finite `lr`, `eps` or `weightDecay`, betas
    /// outside [0, 1), and an empty, duplicated or non-float parameter list.
    public init(parameters: [(name: String, tensor: Tensor)], lr: Double = 1e-3,
                betas: (Double, Double) = (0.9, 0.999), eps: Double = 1e-8, weightDecay: Double = 1e-2,
                amsgrad: Bool = false) throws {
        try super.init(core: AdamCore(name: "AdamW", parameters: parameters, lr: lr, betas: betas, eps: eps,
                                      weightDecay: weightDecay, amsgrad: amsgrad, decoupled: true))
    }
}
