import Config

/// The best evaluation so far by one metric (`BestTracker`): each time it improves, rank 0 writes the
/// weights to `bestPath` when given (`best.safetensors`); with an early-stopping rule, training ends
/// after `patience` evaluations without improvement — at the same step on every rank, rank 0's
/// decision broadcast after each evaluation. A resumed run replays the evaluations recorded in
/// metrics.jsonl up to its checkpoint, so patience and the best value carry over and the best weights
/// are not replaced by a worse model after a restart.
///
/// ```swift
/// let best = BestCheckpointCallback(tracking: EarlyStopping(metric: "auc", patience: 3), stops: true,
///                                   after: evaluation, bestPath: "runs/x/best.safetensors")
/// ```
public final class BestCheckpointCallback: TrainingCallback {
    public private(set) var tracker: BestTracker
    /// The rule's patience ends training (early stopping); false: only the best weights are kept.
    public let stops: Bool
    public let patience: Int
    public let bestPath: String?
    /// The evaluations watched: their schedule tells every rank when a decision is broadcast.
    let evaluation: EvaluationCallback
    /// metrics.jsonl, to replay a resumed run's evaluations from.
    public var metricsPath: String?
    /// The metadata a weights file written after `step` steps carries.
    public var metadata: (Int) -> [String: String] = { ["step": String($0)] }

    public init(tracking rule: EarlyStopping, stops: Bool, after evaluation: EvaluationCallback, bestPath: String? = nil) {
        tracker = BestTracker(metric: rule.metric, mode: rule.mode, minDelta: rule.minDelta)
        (self.stops, self.patience, self.evaluation, self.bestPath) = (stops, rule.patience, evaluation, bestPath)
    }

    public func trainingWillStart(_ loop: TrainingLoop) throws {
        guard loop.isRankZero, loop.firstStep > 0, let metricsPath, let records = try? MetricsLog.read(metricsPath) else { return }
        for record in records {
            guard case .eval(let eval) = record.event, eval.step <= loop.firstStep else { continue }
            _ = tracker.observe(eval.validation.metric(named: tracker.metric), step: eval.step)
        }
    }

    public func evaluationDidEnd(_ result: EvaluationResult, step: Int, _ loop: TrainingLoop) throws {
        guard tracker.observe(result.metric(named: tracker.metric), step: step), let bestPath else { return }
        var metadata = self.metadata(step)
        metadata["best_metric"] = tracker.metric
        metadata["best_value"] = tracker.bestValue.map { String($0) }
        try StateDictFile.archive(model: loop.trainer.model, metadata: metadata).write(to: bestPath)
    }

    public func stepDidEnd(_ result: StepResult, _ loop: TrainingLoop) throws {
        guard stops, evaluation.isDue(afterStep: result.step + 1, of: loop) else { return }
        var stop: [UInt8] = [loop.isRankZero && tracker.sinceImprovement >= patience ? 1 : 0]
        try stop.withUnsafeMutableBytes { try loop.communicator.broadcast($0, root: 0) }
        guard stop[0] == 1 else { return }
        let best = tracker.bestValue.map { String(format: "%.4f", $0) } ?? "n/a"
        loop.say("early stopping at step \(result.step + 1): \(tracker.metric) has not improved for \(patience) evaluations (best \(best) at step \(tracker.bestStep ?? 0))")
        loop.requestStop("early stopping")
    }
}
