import Foundation

/// `metrics.jsonl` on rank 0: a segment record when (re)starting, a training record every `every`
/// steps and after the last, and a record per evaluation. A resumed run first cuts the file back to
/// its checkpoint's step (the records after it are written again) and appends.
///
/// ```swift
/// loop.callbacks.append(MetricsCallback(path: "runs/x/metrics.jsonl", every: 10))
/// ```
public final class MetricsCallback: TrainingCallback {
    public let path: String
    public let every: Int
    /// Whether the run continues one whose records are in the file (keep them up to the first step).
    public let resumes: Bool
    /// Which (re)start this is: recorded as the segment's restart number and cause.
    public let restart: RunSegment.Restart
    /// Records count elapsed seconds from here.
    public let start: Date
    private var log: MetricsLog?

    public init(path: String, every: Int, resumes: Bool = false, restart: RunSegment.Restart = .none, start: Date = Date()) {
        (self.path, self.every, self.resumes, self.restart, self.start) = (path, every, resumes, restart, start)
    }

    public func trainingWillStart(_ loop: TrainingLoop) throws {
        guard loop.isRankZero else { return }
        if resumes { try MetricsLog.cutBack(path, toStep: loop.firstStep) }
        let log = try MetricsLog(path: path, truncate: !resumes, start: start)
        try log.append(.segment(RunSegment(worldSize: loop.communicator.worldSize, startStep: loop.firstStep,
                                           restart: restart.number, cause: restart.cause)))
        self.log = log
    }

    public func stepDidEnd(_ result: StepResult, _ loop: TrainingLoop) throws {
        guard let log, loop.isDue(every: every, afterStep: result.step + 1) else { return }
        try log.append(.train(TrainRecord(step: result.step + 1, loss: result.loss, learningRate: result.learningRate,
                                          samplesPerSecond: loop.samplesPerSecond, gradientNorm: result.gradientNorm)))
    }

    public func evaluationDidEnd(_ result: EvaluationResult, step: Int, _ loop: TrainingLoop) throws {
        try log?.append(.eval(EvalRecord(step: step, validation: result)))
    }
}
