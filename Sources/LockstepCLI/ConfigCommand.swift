import ArgumentParser
import Config

/// `lockstep config --config FILE [--set …]`: the canonical form and digest of a config.
struct ConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config", abstract: "Print a config's canonical form (every key, defaults filled in) and its digest.")

    @OptionGroup var options: ConfigOptions

    func run() throws {
        let loaded = try options.load()
        print(loaded.canonicalYAML, terminator: "")
        print("# config_digest: \(loaded.configDigest)")
    }
}
