import ArgumentParser
import Training
import Config
import Introspection

/// `lockstep gradcheck`: finite-difference gradient checks in float64 (docs/introspection.md).
struct GradCheck: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gradcheck",
        abstract: "Check every differentiable op's backward (and with --config every layer of a model and the whole model) against central differences in float64.")

    @Option(help: "Also check every layer of this config's model, and the model with its loss, built in float64.")
    var config: String?

    @Option(name: .customLong("set"), help: ArgumentHelp("Override a config key: key.path=value (repeatable).", valueName: "key=value"))
    var overrides: [String] = []

    @Option(help: "Check only this op of the catalogue (e.g. relu, batch_norm, cross_entropy).")
    var op: String?

    @Option(help: "Samples in the random batch of the model checks.")
    var batch = 8

    func validate() throws {
        if !overrides.isEmpty && config == nil { throw ValidationError("--set needs --config") }
        guard batch >= 2 else { throw ValidationError("--batch must be at least 2 (batch norm in train mode), got \(batch)") }
    }

    func run() throws {
        var rows: [GradientCheckRow]
        var withoutBackward: [String] = []
        if let op {
            rows = try GradientCheckSuite.checkOp(op)
        } else {
            (rows, withoutBackward) = try GradientCheckSuite.checkOps()
        }
        if let config {
            rows += try GradientCheckSuite.checkModel(RunConfig.load(path: config, overrides: overrides), batch: batch)
        }
        print(GradientCheckSuite.table(rows))
        if !withoutBackward.isEmpty { print("not checked (no backward): \(withoutBackward.joined(separator: ", "))") }
        print(GradientCheckSuite.summary(rows))
        if rows.contains(where: { !$0.passed }) { throw ExitCode.failure }
    }
}
