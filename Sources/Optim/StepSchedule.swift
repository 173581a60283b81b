import TensorCore

/// Step decay: `baseLR · gamma^⌊t / stepSize⌋`, PyTorch's `StepLR` closed form.
///
/// ```swift
/// let decay = try StepSchedule(baseLR: 0.1, stepSize: 30, gamma: 0.1)
/// decay.learningRate(atStep: 29)   // 0.1
/// decay.learningRate(atStep: 30)   // 0.01 (to rounding)
/// ```
public struct StepSchedule: LRSchedule {
    public let baseLR: Double
    public let stepSize: Int
    public let gamma: Double

    /// Throws for `stepSize < 1`, a negative or non-finite `baseLR` or `gamma`.
    public init(baseLR: Double, stepSize: Int, gamma: Double = 0.1) throws {
        try requireSchedule(baseLR >= 0 && baseLR.isFinite, "StepSchedule", "baseLR", baseLR,
                            "must be finite and ≥ 0")
        try requireSchedule(stepSize >= 1, "StepSchedule", "stepSize", Double(stepSize), "must be ≥ 1")
        try requireSchedule(gamma >= 0 && gamma.isFinite, "StepSchedule", "gamma", gamma,
                            "must be finite and ≥ 0")
        self.baseLR = baseLR
        self.stepSize = stepSize
        self.gamma = gamma
    }

    public func learningRate(atStep step: Int) -> Double {
        // Python's `gamma ** k` with an integer k is pow(gamma, float(k)).
        baseLR * Double.pow(gamma, Double(max(step, 0) / stepSize))
    }
}
