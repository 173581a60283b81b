#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Cosine annealing from `baseLR` at step 0 to `minLR` at step `totalSteps` (SGDR without
/// restarts): `minLR + (baseLR − minLR)·(1 + cos(π·t/T))/2`, written in the operation order of
/// PyTorch's `CosineAnnealingLR` closed form (T = `T_max`, `eta_min` = `minLR`).
///
/// After `totalSteps` it stays at `minLR`, whereas PyTorch's cosine rises again; a run that
/// outlives its schedule should not see its learning rate climb.
///
/// ```swift
/// let cosine = try CosineSchedule(baseLR: 0.1, minLR: 0.001, totalSteps: 1000)
/// cosine.learningRate(atStep: 500)    // 0.0505
/// ```
public struct CosineSchedule: LRSchedule {
    public let baseLR: Double
    public let minLR: Double
    public let totalSteps: Int

    /// Throws for `totalSteps < 1` or a negative or non-finite learning rate.
    public init(baseLR: Double, minLR: Double = 0, totalSteps: Int) throws {
        try requireSchedule(baseLR >= 0 && baseLR.isFinite, "CosineSchedule", "baseLR", baseLR,
                            "must be finite and ≥ 0")
        try requireSchedule(minLR >= 0 && minLR.isFinite, "CosineSchedule", "minLR", minLR,
                            "must be finite and ≥ 0")
        try requireSchedule(totalSteps >= 1, "CosineSchedule", "totalSteps", Double(totalSteps),
                            "must be ≥ 1")
        self.baseLR = baseLR
        self.minLR = minLR
        self.totalSteps = totalSteps
    }

    public func learningRate(atStep step: Int) -> Double {
        let t = min(max(step, 0), totalSteps)
        return minLR + (baseLR - minLR) * (1 + cos(Double.pi * Double(t) / Double(totalSteps))) / 2
    }
}
