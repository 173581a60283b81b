import ArgumentParser
import Training
import Introspection

/// `lockstep trace`: the shapes flowing through a config's model (docs/introspection.md).
struct Trace: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print each layer's input and output shape and parameter count: one no-grad forward of a config's model on a training batch.")

    @OptionGroup var options: ConfigOptions

    @Option(help: "Rows of the training split to run through the model.")
    var batch = 16

    @Flag(help: "Run in train mode (batch statistics, active dropout) instead of eval mode; batch norm then needs --batch 2 or more.")
    var trainMode = false

    func validate() throws {
        guard batch >= 1 else { throw ValidationError("--batch must be at least 1, got \(batch)") }
        if trainMode && batch < 2 {
            throw ValidationError("--batch must be at least 2 with --train-mode (batch norm normalises with the batch's statistics)")
        }
    }

    func run() throws {
        let config = try options.load()
        let data = try PreparedData(config: config)
        guard batch <= data.train.count else {
            throw ValidationError("--batch \(batch) is more than the \(data.train.count) rows of the training split")
        }
        let model = try ModelBuilder.build(config)
        let (x, _) = try data.train.batch(indices: Array(0..<batch)[...])
        let rows = try ShapeTrace.run(model: model, input: x, training: trainMode)
        print("\(config.source): \(batch) training rows, \(trainMode ? "train" : "eval") mode, no grad")
        print(ShapeTrace.table(rows, totalParameters: model.parameterCount))
    }
}
