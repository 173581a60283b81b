/// When to stop training and which step was best: a validation metric watched at each evaluation
/// (`train.eval_every`), improving when it beats the best so far by more than `minDelta` in the
/// direction of `mode`; training stops after `patience` evaluations without improvement.
///
/// ```swift
/// run.earlyStopping = EarlyStopping(metric: "auc", patience: 3, minDelta: 0.001)   // mode: max (from the metric)
/// ```
public struct EarlyStopping: Sendable, Hashable, Codable {
    public enum Mode: String, Sendable, Hashable, Codable { case max, min }

    /// Metric names an evaluation can report (see `EvaluationResult.scalars`).
    public static let metrics = ["loss", "accuracy", "auc", "precision", "recall", "f1", "mse", "mae"]

    public var metric: String
    public var mode: Mode
    /// Evaluations without improvement after which training stops.
    public var patience: Int
    public var minDelta: Double

    /// `mode` defaults to `min` for loss, mse and mae, `max` for the others.
    public init(metric: String = "loss", mode: Mode? = nil, patience: Int = 5, minDelta: Double = 0) {
        self.metric = metric
        self.mode = mode ?? (["loss", "mse", "mae"].contains(metric) ? .min : .max)
        self.patience = patience
        self.minDelta = minDelta
    }

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
