import ArgumentParser
import Config
import Foundation

/// `lockstep config`: the configuration schema's outputs. `--doc-table` prints the key tables of
/// docs/config.md (generated from the schema); with `--write FILE` it regenerates the marked tables
/// of FILE in place. `--config FILE [--set …]` prints the canonical form and digest of a config.
struct ConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Print a config's canonical form and digest, or the key tables of docs/config.md.")

    @Flag(help: "Print the key tables generated from the schema.")
    var docTable = false

    @Option(help: ArgumentHelp("With --doc-table: rewrite the marked tables of this markdown file.", valueName: "file"))
    var write: String?

    @Option(help: "The run's YAML config (see docs/config.md).")
    var config: String?

    @Option(name: .customLong("set"), help: ArgumentHelp("Override a config key: key.path=value (repeatable).", valueName: "key=value"))
    var overrides: [String] = []

    func validate() throws {
        guard docTable != (config != nil) else { throw ValidationError("give either --doc-table or --config") }
        if write != nil && !docTable { throw ValidationError("--write needs --doc-table") }
    }

    func run() throws {
        if let config {
            let loaded = try RunConfig.load(path: config, overrides: overrides)
            print(loaded.canonicalYAML, terminator: "")
            print("# config_digest: \(loaded.configDigest)")
            return
        }
        guard let write else {
            print(try ConfigDocTable.renderAll(), terminator: "")
            return
        }
        guard let data = FileManager.default.contents(atPath: write), let text = String(data: data, encoding: .utf8) else {
            throw ValidationError("\(write): cannot read the file")
        }
        let updated = try ConfigDocTable.update(markdown: text)
        if updated != text {
            do { try updated.write(toFile: write, atomically: true, encoding: .utf8) } catch {
                throw ValidationError("\(write): cannot write the file: \(error.localizedDescription)")
            }
        }
        print("\(write): \(updated == text ? "already up to date" : "key tables regenerated")")
    }
}
