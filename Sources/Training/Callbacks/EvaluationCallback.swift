/// Evaluates on rank 0 every `every` steps (0: only after the last) and after the last step, and
/// publishes each result to the loop's callbacks (metrics, TensorBoard, the best weights, …). The
/// other ranks go on to the next step; a decision that depends on the result is rank 0's to
/// broadcast (`BestCheckpointCallback`).
///
/// ```swift
/// let evaluation = EvaluationCallback(every: 100) { try Evaluator(loss: .bceWithLogits).evaluate(model, on: validation) }
/// ```
public final class EvaluationCallback: TrainingCallback {
    public let every: Int
    let evaluate: () throws -> EvaluationResult
    /// The latest evaluation (rank 0).
    public private(set) var last: EvaluationResult?

    public init(every: Int, evaluate: @escaping () throws -> EvaluationResult) {
        (self.every, self.evaluate) = (every, evaluate)
    }

    /// Whether an evaluation follows step `done`.
    public func isDue(afterStep done: Int, of loop: TrainingLoop) -> Bool {
        (every > 0 && done % every == 0) || done == loop.totalSteps
    }

    public func stepDidEnd(_ result: StepResult, _ loop: TrainingLoop) throws {
        let done = result.step + 1
        guard loop.isRankZero, isDue(afterStep: done, of: loop) else { return }
        let evaluation = try loop.timeline.record(.evaluation, step: done) { try evaluate() }
        last = evaluation
        try loop.publish(evaluation, step: done)
    }
}
