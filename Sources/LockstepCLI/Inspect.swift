import ArgumentParser
import Foundation
import Training
import Introspection

/// `lockstep inspect`: looks inside trained weights (docs/introspection.md).
struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Look inside a trained model.",
        subcommands: [InspectActivations.self])
}

/// `lockstep inspect activations`: per-layer statistics of a validation batch's activations.
struct InspectActivations: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "activations",
        abstract: "Per-layer output statistics on a validation batch, in eval mode: shape, mean, std, dead ReLU units, batch-norm fit to mean 0 / std 1.")

    @OptionGroup var options: ConfigOptions
    @OptionGroup var verification: VerifyOptions

    @Option(help: "The state dict to load (model.safetensors of a run, or a PyTorch state dict).")
    var weights: String

    @Option(help: ArgumentHelp("Comma-separated layer names (default: every module but the root).", valueName: "a,b,…"))
    var layers: String?

    @Option(help: "Rows of the validation split to run (the first N, at most the split's size).")
    var batch = 512

    @Flag(help: "Print the statistics as JSON.")
    var json = false

    func validate() throws {
        guard batch >= 1 else { throw ValidationError("--batch must be at least 1, got \(batch)") }
    }

    func run() throws {
        let config = try options.load()
        let model = try ModelBuilder.build(config)
        // Names first: a typo should not wait for the data.
        let chosen = try layers.map { list in
            let names = list.split(separator: ",", omittingEmptySubsequences: false)
                .map { $0.trimmingCharacters(in: .whitespaces) }
            guard !names.contains(where: \.isEmpty) else { throw ValidationError("--layers has an empty entry: '\(list)'") }
            return try ActivationCapture.resolve(names, in: model).map(\.name)
        }
        let state = try StateDictFile.read(weights, for: model, verify: verification.verify)
        try model.loadStateDict(state.model, source: weights)
        let data = try PreparedData(config: config)
        let rows = min(batch, data.validation.count)
        let (x, _) = try data.validation.batch(indices: Array(0..<rows)[...])
        model.eval()
        let report = try ActivationReport.inspect(model, input: x, layers: chosen)
        if json {
            print(try ActivationReport.json(report, samples: rows))
        } else {
            print("\(weights): \(rows) validation rows, eval mode")
            print(ActivationReport.table(report))
        }
    }
}
