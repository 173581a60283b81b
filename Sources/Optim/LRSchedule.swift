/// A learning rate as a pure function of the optimizer step, so that a resumed run (at any world
/// size) recomputes it from the step number alone: there is no scheduler state to checkpoint.
///
/// `atStep` counts the optimizer steps already taken: 0 for the first step. It equals PyTorch's
/// `last_epoch` after that many `scheduler.step()` calls, so `learningRate(atStep: t)` is
/// `scheduler.get_last_lr()` at the time optimizer step `t` runs. The schedules here use the
/// closed forms (`_get_closed_form_lr`), which agree with PyTorch's recursive updates to rounding.
///
/// ```swift
/// let schedule = try WarmupSchedule(warmupSteps: 100,
///                                   then: CosineSchedule(baseLR: 0.1, minLR: 1e-4, totalSteps: 900))
/// for t in 0..<1000 {
///     optimizer.learningRate = schedule.learningRate(atStep: t)
///     try optimizer.step()
/// }
/// ```
public protocol LRSchedule: Sendable {
    func learningRate(atStep step: Int) -> Double
}

/// The same learning rate at every step.
///
/// ```swift
/// ConstantSchedule(lr: 0.01).learningRate(atStep: 5000)   // 0.01
/// ```
public struct ConstantSchedule: LRSchedule {
    public let lr: Double

    public init(lr: Double) { self.lr = lr }

    public func learningRate(atStep step: Int) -> Double { lr }
}

/// Refuses a schedule parameter outside its range, with the same error type as the optimizers so
/// that a config loader needs one `catch`.
func requireSchedule(_ ok: Bool, _ schedule: String, _ name: String, _ value: Double,
                     _ requirement: String) throws {
    guard ok else {
        throw OptimizerError.invalidHyperparameter(optimizer: schedule, name: name, value: value,
                                                   requirement: requirement)
    }
}
