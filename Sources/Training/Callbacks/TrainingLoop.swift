import Foundation
import Distributed

/// Runs a `Trainer` from `firstStep` to `totalSteps`, telling its callbacks what happens, in order.
/// A step is the trainer's; everything around it — logging, evaluating, checkpointing, stopping — is
/// a callback's. The loop keeps only what several of them read: the step timings, the last result
/// and a stop request.
///
/// ```swift
/// let loop = TrainingLoop(trainer: trainer, totalSteps: 5_000,
///                         callbacks: [ProgressCallback(), EvaluationCallback(every: 500) { try evaluate(model) }])
/// try loop.run()
/// ```
public final class TrainingLoop {
    public let trainer: Trainer
    public let totalSteps: Int
    /// The step training starts after: 0, or a resumed checkpoint's step.
    public let firstStep: Int
    public var callbacks: [TrainingCallback]
    /// Where rank 0's one-line messages go (`say`); a live progress line is ended before each.
    public var log: (String) -> Void = { print($0) }
    /// The live progress line on a terminal, if one is shown (`ProgressCallback`).
    public var progress: ProgressLine?
    /// Called after each step, evaluation and checkpoint (a watchdog's heartbeat).
    public var heartbeat: () -> Void = {}
    /// Timestamps of the steps, evaluations and checkpoint writes, when attached (`--timeline`).
    public var timeline: StepTimeline? { trainer.timeline }

    /// The last step's result.
    public private(set) var lastResult: StepResult?
    /// Seconds of the timed steps and their number: every step of this segment but its first (a
    /// warm-up), unless it is the only one.
    public private(set) var stepSeconds = 0.0, timedSteps = 0
    /// Why training ends before `totalSteps` (`requestStop`), if it does.
    public private(set) var stopReason: String?

    public init(trainer: Trainer, totalSteps: Int, firstStep: Int = 0, callbacks: [TrainingCallback] = []) {
        self.trainer = trainer
        self.totalSteps = totalSteps
        self.firstStep = firstStep
        self.callbacks = callbacks
    }

    public var communicator: Communicator { trainer.communicator }
    public var isRankZero: Bool { communicator.rank == 0 }
    /// Steps done so far.
    public var completedSteps: Int { trainer.completedSteps }
    /// Samples per second over the timed steps.
    public var samplesPerSecond: Double {
        Double(trainer.plan.globalBatch) * Double(timedSteps) / max(stepSeconds, 1e-9)
    }

    /// Ends training after the current step, once every callback has seen it. Every rank must ask
    /// alike (a decision made on rank 0 is broadcast first).
    public func requestStop(_ reason: String) {
        if stopReason == nil { stopReason = reason }
    }

    /// A line on rank 0's log.
    public func say(_ line: String) {
        guard isRankZero else { return }
        progress?.finish()
        log(line)
    }

    /// Tells every callback, on rank 0, of an evaluation after `step` steps.
    public func publish(_ evaluation: EvaluationResult, step: Int) throws {
        for callback in callbacks { try callback.evaluationDidEnd(evaluation, step: step, self) }
        heartbeat()
    }

    public func run() throws {
        precondition(trainer.completedSteps == firstStep, "the trainer is at step \(trainer.completedSteps), the loop starts at \(firstStep)")
        for callback in callbacks { try callback.trainingWillStart(self) }
        while completedSteps < totalSteps, stopReason == nil {
            let result = try trainer.step()
            lastResult = result
            if result.step > firstStep || totalSteps - firstStep == 1 {
                stepSeconds += result.seconds
                timedSteps += 1
            }
            heartbeat()
            for callback in callbacks { try callback.stepDidEnd(result, self) }
        }
        for callback in callbacks { try callback.trainingDidEnd(self) }
    }
}
