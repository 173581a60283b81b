import Config

/// Training's checks of an `EarlyStopping` rule (the value type is Config's, `train.early_stopping`).
extension EarlyStopping {
    /// One line per problem, for the config's validation.
    public func check() throws {
        guard Self.metrics.contains(metric) else {
            throw TrainingError("early stopping: unknown metric \"\(metric)\"; expected one of \(Self.metrics.joined(separator: ", "))")
        }
        guard patience >= 1 else { throw TrainingError("early stopping: patience must be at least 1, got \(patience)") }
        guard minDelta >= 0, minDelta.isFinite else { throw TrainingError("early stopping: min_delta must be ≥ 0, got \(minDelta)") }
    }
}

/// The best value of a metric so far and the evaluations since it improved. Rank 0 feeds it; the
/// decision it returns is broadcast so every rank stops at the same step.
public struct BestTracker: Sendable, Equatable {
    public let metric: String
    public let mode: EarlyStopping.Mode
    public let minDelta: Double
    public private(set) var bestValue: Double?
    public private(set) var bestStep: Int?
    public private(set) var sinceImprovement = 0

    public init(metric: String, mode: EarlyStopping.Mode, minDelta: Double = 0) {
        self.metric = metric
        self.mode = mode
        self.minDelta = minDelta
    }

    /// Records `value` (nil: the metric was undefined, which never improves) at `step`; returns whether
    /// it is the new best.
    public mutating func observe(_ value: Double?, step: Int) -> Bool {
        guard let value, value.isFinite else { sinceImprovement += 1; return false }
        let improved: Bool
        if let best = bestValue {
            improved = mode == .max ? value > best + minDelta : value < best - minDelta
        } else {
            improved = true
        }
        if improved {
            bestValue = value
            bestStep = step
            sinceImprovement = 0
        } else {
            sinceImprovement += 1
        }
        return improved
    }
}
