import ArgumentParser
import Foundation
import Training

/// `lockstep predict`: scores new rows with a trained run's model and saved preprocessing.
struct Predict: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Score the rows of a CSV file with a trained run (its saved preprocessing is applied, never re-fitted).")

    @Option(name: .customLong("run"), help: "The run folder (model.safetensors, config.yaml, preprocessing.json).")
    var runFolder: String

    @Option(help: "The CSV file to score; the label column may be absent.")
    var input: String

    @Option(help: "Where to write the predictions (default: INPUT with .predictions.csv).")
    var output: String?

    @Option(help: "Which weights: best, last (model.safetensors) or a path.")
    var checkpoint: String?

    @Option(help: "A column copied into the output to identify each row.")
    var idColumn: String?

    @Flag(help: "Report rows that cannot be used and leave them out, instead of stopping at the first one.")
    var skipBadRows = false

    func run() throws {
        let folder = try RunFolder.load(runFolder)
        let weights = try folder.weightsPath(checkpoint)
        let destination = output ?? (input.hasSuffix(".csv") ? String(input.dropLast(4)) : input) + ".predictions.csv"
        // By device and inode, not by spelling: `dir/./in.csv` is the input, RUN/model.safetensors the model.
        try OutputGuard.check(destination, option: "--output", inputs: [input, weights], runFolders: [runFolder])
        var predictor = try Predictor(folder: folder, weights: weights)
        // Ctrl-C between chunks removes the hidden temporary instead of leaving it behind.
        StopSignal.install()
        predictor.stopRequest = StopSignal.requested
        let report: Predictor.Report
        do {
            report = try predictor.predict(input: input, output: destination, idColumn: idColumn, skipBadRows: skipBadRows) {
                FileHandle.standardError.write(Data(($0 + "\n").utf8))
            }
        } catch let interrupted as PredictionInterrupted {
            FileHandle.standardError.write(Data((OneLine.escaped(interrupted.description) + "\n").utf8))
            throw ExitCode(interrupted.exitCode)
        }
        print("wrote \(report.rows) predictions to \(destination)\(report.skipped > 0 ? " (\(report.skipped) bad rows skipped)" : "")")
    }
}
