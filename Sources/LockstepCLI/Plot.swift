import ArgumentParser
import Training
import Config

/// `lockstep plot RUN_DIR… [--metric M] --output FILE.svg`: learning curves of one or several runs on
/// one chart, read from their metrics.jsonl.
struct Plot: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Draw the loss (or a validation metric) of one or several runs as an SVG chart.")

    @Argument(help: "Run folders written by lockstep train.")
    var runs: [String]

    @Option(help: "loss (training and validation), or a validation metric (accuracy, auc, precision, recall, f1, mse, mae).")
    var metric = "loss"

    @Option(help: "The SVG file to write.")
    var output: String

    func validate() throws {
        guard !runs.isEmpty else { throw ValidationError("name at least one run folder") }
    }

    func run() throws {
        let metrics = ["loss"] + EarlyStopping.metrics.filter { $0 != "loss" }
        guard metrics.contains(metric) else {
            throw TrainingError("--metric \(metric) is not one of \(metrics.joined(separator: ", "))")
        }
        // The chart must not land on a run's metrics.jsonl (or any other file of the runs it reads).
        try OutputGuard.check(output, option: "--output", runFolders: runs)
        try RunCurves.write(runs: runs, metric: metric, to: output)
        print("wrote \(output)")
    }
}
