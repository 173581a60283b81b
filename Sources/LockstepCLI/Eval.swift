import ArgumentParser
import Foundation
import Training

struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Evaluate saved weights on the validation split of a config's data.")

    @OptionGroup var options: ConfigOptions

    @Option(help: "The state dict to evaluate (model.safetensors of a run, or a PyTorch state dict).")
    var weights: String

    @Flag(help: "Print the metrics as JSON.")
    var json = false

    func run() throws {
        let config = try options.load()
        try ResourceEstimate(config).check()
        let data = try PreparedData(config: config)
        let model = try ModelBuilder.build(config)
        let state = try StateDictFile.read(weights, for: model)
        try model.loadStateDict(state.model, source: weights)
        let result = try Evaluator(loss: config.loss).evaluate(model, on: data.validation)
        if json {
            print(try JSONOutput.line(result))
        } else {
            var line = "validation samples \(result.samples)  loss \(String(format: "%.4f", result.loss))"
            if let accuracy = result.accuracy { line += "  accuracy \(String(format: "%.4f", accuracy))" }
            if let auc = result.auc { line += "  auc \(String(format: "%.4f", auc))" }
            print(line)
        }
    }
}
