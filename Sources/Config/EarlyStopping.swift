import ConfigCoding
/// When to stop training and which step was best: a validation metric watched at each evaluation
/// (`train.eval_every`), improving when it beats the best so far by more than `minDelta` in the
/// direction of `mode`; training stops after `patience` evaluations without improvement.
///
/// The config form is `train.early_stopping: {metric: auc, mode: max, patience: 3, min_delta: 0.001}`;
/// Training's `BestTracker` applies it.
///
/// ```swift
/// run.earlyStopping = EarlyStopping(metric: "auc", patience: 3, minDelta: 0.001)   // mode: max (from the metric)
/// ```
public struct EarlyStopping: Sendable, Hashable, Decodable {
    public enum Mode: String, Sendable, Hashable, CaseIterable { case max, min }

    /// Metric names an evaluation can report (see `EvaluationResult.scalars`): the one list that the
    /// config key `train.early_stopping.metric` and the tracker both use.
    public static let metrics = ["loss", "accuracy", "auc", "precision", "recall", "f1", "mse", "mae"]

    public var metric: String
    public var mode: Mode
    /// Evaluations without improvement after which training stops.
    public var patience: Int
    public var minDelta: Double

    /// `mode` defaults to `min` for loss, mse and mae, `max` for the others.
    public init(metric: String = "loss", mode: Mode? = nil, patience: Int = 5, minDelta: Double = 0) {
        self.metric = metric
        self.mode = mode ?? Self.defaultMode(for: metric)
        self.patience = patience
        self.minDelta = minDelta
    }

    /// The direction in which `metric` improves: `min` for loss, mse and mae, `max` for the others.
    public static func defaultMode(for metric: String) -> Mode {
        ["loss", "mse", "mae"].contains(metric) ? .min : .max
    }

    public init(from decoder: Decoder) throws {
        let map = try ConfigMapping(decoder, keys: ["metric", "mode", "patience", "min_delta"])
        self.init(metric: try map.choice("metric", among: Self.metrics) ?? "loss", mode: try map.choice("mode"))
        try map.read("patience", into: &patience)
        try map.read("min_delta", into: &minDelta)
    }

    var canonical: ConfigValue {
        .map(["metric": .string(metric), "mode": .string(mode.rawValue), "patience": .int(patience), "min_delta": .double(minDelta)])
    }

    func validate(at path: ConfigPath) throws {
        try path.key("metric").expect(Self.metrics.contains(metric), "one of \(Self.metrics.joined(separator: ", "))", got: "'\(metric)'")
        try path.key("patience").positive(patience)
        try path.key("min_delta").nonNegative(minDelta)
    }
}
