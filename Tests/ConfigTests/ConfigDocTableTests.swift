import Foundation
import Testing
@testable import Config

/// docs/config.md's key tables are generated from the schema; the committed file must equal the
/// generated one. Set LOCKSTEP_REGENERATE_DOCS=1 to rewrite it instead (or run
/// `lockstep config --doc-table --write docs/config.md`).
@Suite("Config: docs/config.md key tables")
struct ConfigDocTableTests {
    static let docPath = configRepositoryRoot.appendingPathComponent("docs/config.md").path

    @Test func committedTablesEqualTheGenerated() throws {
        let committed = try String(contentsOfFile: Self.docPath, encoding: .utf8)
        let generated = try ConfigDocTable.update(markdown: committed)
        if ProcessInfo.processInfo.environment["LOCKSTEP_REGENERATE_DOCS"] == "1", generated != committed {
            try generated.write(toFile: Self.docPath, atomically: true, encoding: .utf8)
            return
        }
        #expect(generated == committed, "docs/config.md is stale: run lockstep config --doc-table --write docs/config.md")
        // Every table is present exactly once.
        for section in ConfigDocTable.sections {
            #expect(committed.components(separatedBy: "<!-- BEGIN config-keys \(section) -->").count == 2, "\(section)")
        }
    }

    @Test func everyKeyOfTheSchemaIsInATable() throws {
        let all = try ConfigDocTable.renderAll()
        for key in ConfigSchema.optimizer.allKeys + ConfigSchema.layer.allKeys + ConfigSchema.data.allKeys
            + ConfigSchema.schedule.allKeys + ConfigSchema.train.allKeys {
            #expect(all.contains("| `\(key)` |"), "\(key)")
        }
    }

    @Test func defaultsComeFromTheInitialisers() throws {
        let optimizer = try ConfigDocTable.render("optimizer")
        #expect(optimizer.contains("| `weight_decay` | number ≥ 0 | `0.0` (`0.01` for adamw) | all |"))
        let layer = try ConfigDocTable.render("layer")
        #expect(layer.contains("| `momentum` | number in [0, 1] | `0.1` | batchnorm1d |"))
        #expect(layer.contains("| `out` | int > 0 | *required* | linear |"))
        let data = try ConfigDocTable.render("data")
        #expect(data.contains("| `standardize` | bool | `false` (`true` for csv) | all |"))
        let top = try ConfigDocTable.render("top")
        #expect(top.contains("| `schedule` | mapping | `{type: constant, warmup_steps: 0}` |"))
    }

    @Test func unknownAndUnclosedTablesAreErrors() {
        #expect(throws: ConfigError.self) { try ConfigDocTable.update(markdown: "<!-- BEGIN config-keys nope -->\n<!-- END config-keys -->") }
        #expect(throws: ConfigError.self) { try ConfigDocTable.update(markdown: "<!-- BEGIN config-keys train -->\n| old |\n") }
    }
}
