import ArgumentParser
import Training
import Config

/// The options every command that reads a run config shares.
struct ConfigOptions: ParsableArguments {
    @Option(name: .long, help: "The run's YAML config (see docs/config.md).")
    var config: String

    @Option(name: .customLong("set"), help: ArgumentHelp("Override a config key: key.path=value (repeatable).", valueName: "key=value"))
    var overrides: [String] = []

    func load() throws -> RunConfig {
        try RunConfig.load(path: config, overrides: overrides)
    }
}

/// `--no-verify`, shared by the commands that read weights or checkpoints.
struct VerifyOptions: ParsableArguments {
    @Flag(help: "Load weights and checkpoints whose recorded digests do not match (files edited on purpose); structure and finite values are still checked.")
    var noVerify = false

    var verify: Bool { !noVerify }
}
