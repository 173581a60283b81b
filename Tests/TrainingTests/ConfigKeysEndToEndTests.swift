import Foundation
import Testing
import Training
import Config

/// The data-option, early-stopping, best-checkpoint and TensorBoard keys used from a YAML file by the
/// real `lockstep` binary: the file alone (no API calls) gets a CSV with an id, free text, categories
/// and empty cells trained, stopped by its rule, with best.safetensors and TensorBoard events; eval
/// with the same file reads the data with the same options.
@Suite("lockstep train: data options, early stopping, save_best and tensorboard from the config file")
struct ConfigKeysEndToEndTests {
    static func configYAML(csv: String, out: String) -> String {
        """
        seed: 3
        model:
          input: \(PatientsCSV.encodedWidth)
          layers:
            - {name: layer1, type: linear, out: 16}
            - {type: relu}
            - {name: layer2, type: linear, out: 1}
        data:
          source: csv
          path: \(csv)
          label: outcome
          validation_fraction: 0.25
          exclude: [patient_id, notes]
          categorical: [sex, site]
          missing: median
          missing_indicators: true
        loss: bce_with_logits
        batch: {global: 32, micro: 8}
        optimizer: {type: adam, lr: 0.05}
        train:
          steps: 400
          eval_every: 10
          log_every: 10
          early_stopping: {metric: loss, patience: 3, min_delta: 0.001}
        output: {dir: \(out), save_best: true, tensorboard: true}

        """
    }

    @Test func trainsFromTheFileAlone() throws {
        let dir = try TT.temporaryDirectory("config-keys")
        defer { TT.remove(dir) }
        let csv = dir + "/patients.csv", out = dir + "/run"
        try TT.write(PatientsCSV.file(0, 400), to: csv)
        try TT.write(Self.configYAML(csv: csv, out: out), to: dir + "/config.yaml")

        let train = try CLI.run(["train", "--config", "config.yaml"], in: dir)
        #expect(train.status == 0, "\(train.stderr)")
        let files = FileManager.default
        #expect(files.fileExists(atPath: out + "/best.safetensors"))
        let events = (try? files.contentsOfDirectory(atPath: out + "/tensorboard")) ?? []
        #expect(events.contains { $0.hasPrefix("events.out.tfevents.") }, "tensorboard/: \(events)")

        let summary = try JSONDecoder().decode(RunSummary.self, from: Data(contentsOf: URL(fileURLWithPath: out + "/summary.json")))
        let bestStep = try #require(summary.bestStep)
        #expect(bestStep % 10 == 0 && bestStep > 0 && bestStep <= 400)
        #expect(summary.bestMetric == "loss")
        // The rule stopped the run: patience 3 at eval_every 10 ends well before 400 steps at this learning rate.
        #expect(summary.stoppedEarly == true)

        // The run folder's config.yaml holds the keys, so the folder alone reproduces the run.
        let saved = try RunConfig.load(path: out + "/config.yaml")
        let original = try RunConfig.load(path: dir + "/config.yaml")
        #expect(saved == original)
        #expect(saved.data.options.exclude == ["patient_id", "notes"] && saved.data.options.missing == .median)
        #expect(saved.train.earlyStopping?.patience == 3 && saved.output.saveBest && saved.output.tensorboard)

        // eval --config reads the data with the config's options (an id column, text and empty cells
        // would be refused under the defaults).
        let eval = try CLI.run(["eval", "--config", "config.yaml", "--weights", out + "/best.safetensors", "--json"], in: dir)
        #expect(eval.status == 0, "\(eval.stderr)")
        #expect(eval.stdout.contains("\"loss\""))
    }

    /// A file whose data options are wrong for the CSV fails with one line naming the column.
    @Test func optionsThatDoNotFitTheFileAreOneLine() throws {
        let dir = try TT.temporaryDirectory("config-keys-bad")
        defer { TT.remove(dir) }
        let csv = dir + "/patients.csv"
        try TT.write(PatientsCSV.file(0, 200), to: csv)
        let yaml = Self.configYAML(csv: csv, out: dir + "/run").replacingOccurrences(of: "missing: median", with: "missing: error")
        try TT.write(yaml, to: dir + "/config.yaml")
        let train = try CLI.run(["train", "--config", "config.yaml"], in: dir)
        #expect(train.status != 0)
        let lines = train.stderr.split(separator: "\n")
        #expect(lines.count == 1 && train.stderr.contains("empty cell"), "\(train.stderr)")
    }
}
