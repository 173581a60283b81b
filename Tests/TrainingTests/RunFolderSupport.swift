import Foundation
import Testing
import Training
import Datasets
import Config

/// A patients run that checkpoints, for the tests that resume it, edit its folder's files or write
/// into it while it is in use (issue 23).
enum CheckpointedPatients {
    /// The patients config with `output.checkpoint_every: 2`.
    static func config(csv: String, steps: Int, out: String) throws -> RunConfig {
        let yaml = PatientsCSV.configYAML(path: csv, steps: steps, evalEvery: 2, outputDir: out)
            .replacingOccurrences(of: "output: {dir: \(out)}", with: "output: {dir: \(out), checkpoint_every: 2}")
        return try RunConfig(yaml: yaml, source: "patients.yaml")
    }

    /// A quiet run of `steps` steps on `csv` into `out`, with `PatientsCSV.options`; `configure` sets
    /// the flags under test. Log lines are appended to `log`.
    static func run(csv: String, out: String, steps: Int, resume: Bool = false, log: Log? = nil,
                    configure: (TrainingRun) -> Void = { _ in }) throws -> RunSummary {
        let run = TT.quietRun(try config(csv: csv, steps: steps, out: out), in: out, resume: resume)
        run.dataOptions = PatientsCSV.options
        if let log { run.log = { log.lines.append($0) } }
        configure(run)
        return try run.run()
    }

    final class Log { var lines: [String] = [] }

    /// `error`'s description, checked to be one line.
    static func oneLine(_ error: Error?, sourceLocation: SourceLocation = #_sourceLocation) -> String {
        let text = error.map { String(describing: $0) } ?? ""
        #expect(error != nil, "no error", sourceLocation: sourceLocation)
        #expect(!text.contains { $0.isNewline }, "not one line: \(text)", sourceLocation: sourceLocation)
        return text
    }

    static func bytes(_ path: String) -> Data? { FileManager.default.contents(atPath: path) }
}
