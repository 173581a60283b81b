import Foundation
import Training
import Datasets
import Config

/// A small clinical-style CSV with what real files have: an id, free text, a categorical column and
/// empty cells. The label follows a logistic rule of age, bmi and site, so a model can learn it.
enum PatientsCSV {
    static let header = "patient_id,age,bmi,sex,site,notes,outcome"

    /// Rows `first..<first+count`, deterministic (a small LCG); `withLabel: false` drops the outcome.
    static func rows(_ first: Int, _ count: Int, withLabel: Bool = true) -> [String] {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15 &+ UInt64(first)
        func next() -> Double {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Double(state >> 11) / Double(1 << 53)
        }
        let sites = ["A", "B", "C"]
        return (first..<(first + count)).map { i in
            let age = 20 + 60 * next(), bmi = 18 + 20 * next()
            let site = sites[Int(next() * 3) % 3], sex = next() < 0.5 ? "F" : "M"
            let z = 0.08 * (age - 50) + 0.15 * (bmi - 28) + (site == "C" ? 1.5 : site == "A" ? -1 : 0)
            let label = next() < 1 / (1 + exp(-z)) ? 1 : 0
            let ageText = i % 11 == 3 ? "" : String(format: "%.1f", age)
            let bmiText = i % 13 == 5 ? "" : String(format: "%.2f", bmi)
            let sexText = i % 17 == 7 ? "" : sex
            var cells = ["p\(i)", ageText, bmiText, sexText, site, "\"note, \(i)\""]
            if withLabel { cells.append(String(label)) }
            return cells.joined(separator: ",")
        }
    }

    static func file(_ first: Int, _ count: Int, withLabel: Bool = true) -> String {
        let head = withLabel ? header : "patient_id,age,bmi,sex,site,notes"
        return ([head] + rows(first, count, withLabel: withLabel)).joined(separator: "\n") + "\n"
    }

    static let options = DataOptions(exclude: ["patient_id", "notes"], missing: .median, missingIndicators: true,
                                     categorical: ["sex", "site"])
    /// age, age__missing, bmi, bmi__missing, sex=F, sex=M, site=A, site=B, site=C
    static let encodedWidth = 9

    static func configYAML(path: String, steps: Int = 60, evalEvery: Int = 20, outputDir: String) -> String {
        """
        seed: 3
        model:
          input: \(encodedWidth)
          layers:
            - {name: layer1, type: linear, out: 16}
            - {type: relu}
            - {name: layer2, type: linear, out: 1}
        data: {source: csv, path: \(path), label: outcome, validation_fraction: 0.25, shuffle: true, standardize: true}
        loss: bce_with_logits
        batch: {global: 32, micro: 8}
        optimizer: {type: adam, lr: 0.01}
        train: {steps: \(steps), eval_every: \(evalEvery), log_every: 10}
        output: {dir: \(outputDir)}

        """
    }

    /// Writes the training file and config into `directory` and trains with `PatientsCSV.options`.
    /// Returns the run's config: the file's, with the options `configure` set (they are config keys,
    /// so the weights and the run folder record this config's digest).
    @discardableResult
    static func train(in directory: String, steps: Int = 60, configure: (TrainingRun) -> Void = { _ in }) throws -> (config: RunConfig, summary: RunSummary, out: String) {
        let csv = directory + "/patients.csv", out = directory + "/run"
        try TT.write(file(0, 400), to: csv)
        try TT.write(configYAML(path: csv, steps: steps, outputDir: out), to: directory + "/config.yaml")
        let config = try RunConfig.load(path: directory + "/config.yaml")
        let run = TT.quietRun(config, in: out)
        run.dataOptions = options
        configure(run)
        let summary = try run.run()
        return (run.config, summary, out)
    }
}
