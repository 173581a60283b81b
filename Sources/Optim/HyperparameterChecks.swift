/// Range checks shared by the optimizers' initialisers. They are written as `value >= 0` rather than
/// `!(value < 0)` so that NaN, which fails every comparison, is refused too.
enum HyperparameterCheck {
    /// `value` must be finite and ≥ 0 (learning rate, momentum, weight decay, epsilon).
    static func nonNegative(_ value: Double, _ name: String, in optimizer: String) throws {
        guard value >= 0, value.isFinite else {
            throw OptimizerError.invalidHyperparameter(optimizer: optimizer, name: name, value: value,
                                                       requirement: "must be finite and ≥ 0")
        }
    }

    /// `value` must lie in [0, 1) (Adam's betas: at 1 the moment would never move).
    static func unitInterval(_ value: Double, _ name: String, in optimizer: String) throws {
        guard value >= 0, value < 1 else {
            throw OptimizerError.invalidHyperparameter(optimizer: optimizer, name: name, value: value,
                                                       requirement: "must be in [0, 1)")
        }
    }
}
