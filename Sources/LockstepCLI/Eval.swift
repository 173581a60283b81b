import ArgumentParser
import Foundation
import Training
import Config

struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Evaluate saved weights: a run folder (--run) or a config with weights (--config, --weights).",
        discussion: """
            With --run, the config and the preprocessing come from the run folder and are applied, never \
            re-fitted; without --data the run's own validation rows are used. With --config and --weights, \
            weights trained with another config (config_digest) or for other shapes are refused.
            """)

    @Option(name: .customLong("run"), help: "A run folder written by lockstep train.")
    var runFolder: String?

    @Option(help: "With --run: which weights, best, last (model.safetensors) or a path.")
    var checkpoint: String?

    @Option(help: "The run's YAML config (without --run).")
    var config: String?

    @Option(name: .customLong("set"), help: ArgumentHelp("Override a config key: key.path=value (repeatable).", valueName: "key=value"))
    var overrides: [String] = []

    @Option(help: "The state dict to evaluate (without --run): model.safetensors of a run, or a PyTorch state dict.")
    var weights: String?

    @Option(help: "Evaluate on every row of this labelled CSV file (a test set) instead of the validation split.")
    var data: String?

    @Flag(help: "Print the metrics as JSON.")
    var json = false

    @OptionGroup var verification: VerifyOptions

    func validate() throws {
        if runFolder != nil {
            guard config == nil, weights == nil, overrides.isEmpty else {
                throw ValidationError("--run takes the config and weights from the run folder: leave out --config, --set and --weights")
            }
        } else {
            guard config != nil, weights != nil else { throw ValidationError("give --run DIR, or both --config and --weights") }
            guard checkpoint == nil else { throw ValidationError("--checkpoint goes with --run; without it, name the file with --weights") }
        }
    }

    func run() throws {
        let folder = try runFolder.map(RunFolder.load)
        let config = try folder?.config ?? RunConfig.load(path: self.config!, overrides: overrides)
        let weightsPath = try folder?.weightsPath(checkpoint) ?? weights!
        try ResourceEstimate(config).check()
        let dataset: EvaluationRows
        let source = data ?? "validation"
        if let folder {
            dataset = try data.map(folder.preprocessing.encodeFile) ?? folder.validationSet()
        } else {
            // Refuse foreign weights before any data is read.
            _ = try SavedWeights.load(weightsPath, config: config, verify: verification.verify)
            let prepared = try PreparedData(config: config)
            guard data != nil || prepared.hasValidation else { throw TrainingError("the config has no validation split; give --data FILE") }
            dataset = try data.map(prepared.preprocessing.encodeFile) ?? prepared.validation
        }
        let model = try SavedWeights.load(weightsPath, config: config, verify: verification.verify,
                                          preprocessingSHA256: folder?.preprocessingSHA256)
        let result = try Evaluator(loss: config.loss, positiveWeight: config.positiveWeight).evaluate(model, on: dataset)
        if json {
            print(try JSONOutput.line(EvalReport(result: result, data: source, weights: weightsPath)))
        } else {
            print(EvaluationTable.render(result, source: source))
        }
    }
}

/// `eval --json`: the metrics, and which data and weights they are of.
private struct EvalReport: Encodable {
    let result: EvaluationResult
    let data: String
    let weights: String

    func encode(to encoder: Encoder) throws {
        try result.encode(to: encoder)
        var out = encoder.container(keyedBy: JSONKey.self)
        try out.encode(data, forKey: "data")
        try out.encode(weights, forKey: "weights")
    }
}
