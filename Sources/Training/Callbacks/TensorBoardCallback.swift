/// TensorBoard scalar event files on rank 0 (`train/loss`, `train/lr`, `train/samples_per_second`
/// every `every` steps, `validation/<metric>` per evaluation), in `directory`.
///
/// ```swift
/// loop.callbacks.append(TensorBoardCallback(directory: "runs/x/tensorboard", every: 10))
/// ```
public final class TensorBoardCallback: TrainingCallback {
    public let directory: String
    public let every: Int
    private var writer: TensorBoardWriter?

    public init(directory: String, every: Int) {
        (self.directory, self.every) = (directory, every)
    }

    public func trainingWillStart(_ loop: TrainingLoop) throws {
        if loop.isRankZero { writer = try TensorBoardWriter(directory: directory) }
    }

    public func stepDidEnd(_ result: StepResult, _ loop: TrainingLoop) throws {
        guard let writer, loop.isDue(every: every, afterStep: result.step + 1) else { return }
        try writer.add(step: result.step + 1, scalars: [("train/loss", result.loss), ("train/lr", result.learningRate),
                                                        ("train/samples_per_second", loop.samplesPerSecond)])
    }

    public func evaluationDidEnd(_ result: EvaluationResult, step: Int, _ loop: TrainingLoop) throws {
        try writer?.add(step: step, scalars: result.scalars.map { ("validation/" + $0.name, $0.value) })
    }
}
