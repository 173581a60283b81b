import Checkpointing
import Config

extension TrainingRun {
    /// The tracker for early stopping and save_best; nil when neither is on or there is no validation.
    func bestTracker(hasValidation: Bool) -> BestTracker? {
        guard earlyStopping != nil || saveBest else { return nil }
        guard hasValidation else {
            if isRankZero { log("early stopping and save_best need validation metrics; this run has none, so they are off") }
            return nil
        }
        let rule = earlyStopping ?? EarlyStopping(metric: "loss")
        return BestTracker(metric: rule.metric, mode: rule.mode, minDelta: rule.minDelta)
    }

    /// A resumed run's tracker as it stood at its checkpoint: the evaluations recorded in metrics.jsonl
    /// up to `step` are replayed, so patience and the best value carry over and best.safetensors is not
    /// replaced by a worse model after the restart.
    func replay(_ tracker: inout BestTracker?, metricsPath: String, upTo step: Int) {
        guard var current = tracker, let records = try? MetricsLog.read(metricsPath) else { return }
        for record in records {
            guard case .eval(let eval) = record.event, eval.step <= step else { continue }
            _ = current.observe(eval.validation.metric(named: current.metric), step: eval.step)
        }
        tracker = current
    }

    /// At an evaluation: rank 0 updates the tracker and writes `best.safetensors` when the step is the
    /// best so far; the stop decision is broadcast (one collective on every rank) so that it is the
    /// same on every rank whatever the world size. Returns whether to stop.
    func decideBest(_ tracker: inout BestTracker?, evaluation: EvaluationResult?, step: Int, trainer: Trainer) throws -> Bool {
        var stop: [UInt8] = [0]
        if isRankZero, var current = tracker {
            let improved = current.observe(evaluation?.metric(named: current.metric), step: step)
            tracker = current
            if improved && saveBest {
                var metadata = runMetadata(step: step)
                metadata["best_metric"] = current.metric
                metadata["best_value"] = current.bestValue.map { String($0) }
                try StateDictFile.archive(model: trainer.model, metadata: metadata).write(to: outputDirectory + "/best.safetensors")
            }
            if let rule = earlyStopping, current.sinceImprovement >= rule.patience { stop[0] = 1 }
        }
        try stop.withUnsafeMutableBytes { try communicator.broadcast($0, root: 0) }
        return stop[0] == 1
    }
}
