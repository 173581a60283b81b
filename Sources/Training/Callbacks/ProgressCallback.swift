/// Rank 0's view of the run: a live progress line on a terminal (plain lines elsewhere) every `every`
/// steps and after the last, a line per evaluation, and a line when `overlap: auto` has chosen.
///
/// ```swift
/// loop.callbacks.append(ProgressCallback(every: 10))
/// ```
public final class ProgressCallback: TrainingCallback {
    public let every: Int
    /// Whether to show the progress line at all (`--quiet` turns it off; evaluations are still said).
    public let live: Bool
    private var overlapChoiceSaid = false

    public init(every: Int = 10, live: Bool = true) {
        (self.every, self.live) = (every, live)
    }

    public func trainingWillStart(_ loop: TrainingLoop) throws {
        if loop.isRankZero && live { loop.progress = ProgressLine(totalSteps: loop.totalSteps, firstStep: loop.firstStep) }
    }

    public func stepDidEnd(_ result: StepResult, _ loop: TrainingLoop) throws {
        if !overlapChoiceSaid, let choice = loop.trainer.overlapChoice {
            overlapChoiceSaid = true
            loop.say("overlap: auto chose \(choice.overlap ? "overlap" : "no overlap") (first steps: "
                     + String(format: "%.2f ms without, %.2f ms with)", choice.secondsPerStepWithout * 1e3, choice.secondsPerStepWith * 1e3))
        }
        guard loop.isRankZero, loop.isDue(every: every, afterStep: result.step + 1) else { return }
        loop.progress?.update(step: result.step + 1, loss: result.loss, learningRate: result.learningRate,
                              samplesPerSecond: loop.samplesPerSecond)
    }

    public func evaluationDidEnd(_ result: EvaluationResult, step: Int, _ loop: TrainingLoop) throws {
        loop.say("step \(step): validation " + Self.describe(result))
    }

    /// `loss 0.3561  accuracy 0.8548  auc 0.8431`.
    static func describe(_ e: EvaluationResult) -> String {
        var parts = ["loss \(String(format: "%.4f", e.loss))"]
        if let accuracy = e.accuracy { parts.append("accuracy \(String(format: "%.4f", accuracy))") }
        if let auc = e.auc { parts.append("auc \(String(format: "%.4f", auc))") }
        return parts.joined(separator: "  ")
    }
}

extension TrainingLoop {
    /// Whether something done every `every` steps (0: never) is due after `done` steps: on its
    /// multiples, and after the last step.
    public func isDue(every: Int, afterStep done: Int) -> Bool {
        every > 0 && (done % every == 0 || done == totalSteps)
    }
}
