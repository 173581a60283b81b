/// A piece of a training run that acts on its events — metrics, TensorBoard, progress, evaluation,
/// the best weights and early stopping, checkpoints and stopping on a signal, replica checks — as
/// Lightning's and Keras's callbacks do. A program picks the ones it wants and hands them to a
/// `TrainingLoop`; `lockstep train` uses them all (`TrainingRun`).
///
/// Every rank calls every callback, in the loop's order, with the same step results (they are
/// reduced over the ranks): a callback that writes files acts on rank 0 only, and one whose decision
/// every rank must share (early stopping) makes it on rank 0 and broadcasts it.
///
/// ```swift
/// final class PrintLoss: TrainingCallback {
///     func stepDidEnd(_ result: StepResult, _ loop: TrainingLoop) throws {
///         if loop.isRankZero, (result.step + 1) % 100 == 0 { print(result.step + 1, result.loss) }
///     }
/// }
/// ```
public protocol TrainingCallback {
    /// Before the first step, which is `loop.firstStep` (after a resume, the step to continue from).
    func trainingWillStart(_ loop: TrainingLoop) throws
    /// After each optimizer step; `result.step + 1` steps are done.
    func stepDidEnd(_ result: StepResult, _ loop: TrainingLoop) throws
    /// On rank 0, after an evaluation after `step` steps (an `EvaluationCallback` publishes them).
    func evaluationDidEnd(_ result: EvaluationResult, step: Int, _ loop: TrainingLoop) throws
    /// After the last step, or the step after which a callback asked the loop to stop.
    func trainingDidEnd(_ loop: TrainingLoop) throws
}

extension TrainingCallback {
    public func trainingWillStart(_ loop: TrainingLoop) throws {}
    public func stepDidEnd(_ result: StepResult, _ loop: TrainingLoop) throws {}
    public func evaluationDidEnd(_ result: EvaluationResult, step: Int, _ loop: TrainingLoop) throws {}
    public func trainingDidEnd(_ loop: TrainingLoop) throws {}
}
