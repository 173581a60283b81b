/// Linear warmup in front of another schedule. For `t < warmupSteps` the rate climbs linearly
/// towards the first rate of `then`, `then(0)·(f + (1 − f)·t/W)`; from step `W` on it is
/// `then(t − W)`, so the wrapped schedule starts its own clock when warmup ends.
///
/// This is PyTorch's `SequentialLR([LinearLR(start_factor=f, total_iters=W), then], milestones=[W])`.
/// The default `startFactor` `f = 1/(W+1)` gives `then(0)·(t+1)/(W+1)`: the first step already
/// moves the weights (a zero-rate step would still advance Adam's moments and step count), and the
/// rate reaches `then(0)` one step after warmup, as in Goyal et al.'s gradual warmup.
///
/// ```swift
/// let cosine = try CosineSchedule(baseLR: 0.4, totalSteps: 90)
/// let schedule = try WarmupSchedule(warmupSteps: 10, then: cosine)   // 100 steps in all
/// schedule.learningRate(atStep: 0)    // 0.4/11
/// schedule.learningRate(atStep: 10)   // 0.4
/// ```
public struct WarmupSchedule: LRSchedule {
    public let warmupSteps: Int
    public let startFactor: Double
    public let then: any LRSchedule

    /// Throws for `warmupSteps < 0` or `startFactor` outside [0, 1].
    public init(warmupSteps: Int, startFactor: Double? = nil, then: any LRSchedule) throws {
        let factor = startFactor ?? 1 / Double(warmupSteps + 1)
        try requireSchedule(warmupSteps >= 0, "WarmupSchedule", "warmupSteps", Double(warmupSteps),
                            "must be ≥ 0")
        try requireSchedule(factor >= 0 && factor <= 1, "WarmupSchedule", "startFactor", factor,
                            "must be in [0, 1]")
        self.warmupSteps = warmupSteps
        self.startFactor = factor
        self.then = then
    }

    public func learningRate(atStep step: Int) -> Double {
        guard step < warmupSteps else { return then.learningRate(atStep: step - warmupSteps) }
        let t = Double(max(step, 0))
        // LinearLR's closed form, in its operation order.
        let factor = startFactor + (1 - startFactor) * t / Double(warmupSteps)
        return then.learningRate(atStep: 0) * factor
    }
}
