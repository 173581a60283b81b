import Testing
import Foundation
import Training
import Config

/// `lockstep trace`, `inspect activations` and `gradcheck` as a user runs them (the built binary, in
/// the repository root).
struct IntrospectionCLITests {
    /// The state dict of a freshly built model of `config` in a temporary file.
    static func weightsFile(_ configName: String) throws -> String {
        let config = try RunConfig.load(path: configShippedPath(configName))
        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("introspection-\(UUID().uuidString).safetensors").path
        try StateDictFile.archive(model: ModelBuilder.build(config)).write(to: path)
        return path
    }

    /// The one line a failing command printed on stderr.
    static func expectOneLineError(_ outcome: LockstepProcess.Outcome, containing text: String,
                                   sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(outcome.status != 0, sourceLocation: sourceLocation)
        let lines = outcome.stderr.split(separator: "\n")
        #expect(lines.count == 1, "stderr: \(outcome.stderr)", sourceLocation: sourceLocation)
        #expect(outcome.stderr.contains(text), "stderr: \(outcome.stderr)", sourceLocation: sourceLocation)
    }

    @Test func traceShowsTheEightRows() throws {
        let outcome = try LockstepProcess.run(["trace", "--config", "configs/clinical-mlp.yaml", "--batch", "16"])
        #expect(outcome.status == 0, "\(outcome.stderr)")
        let lines = outcome.stdout.split(separator: "\n").map(String.init)
        let expected = [("layer1", "(16, 20) → (16, 64)"), ("bn1", "(16, 64) → (16, 64)"), ("2", "(16, 64) → (16, 64)"),
                        ("3", "(16, 64) → (16, 64)"), ("layer2", "(16, 64) → (16, 32)"), ("bn2", "(16, 32) → (16, 32)"),
                        ("6", "(16, 32) → (16, 32)"), ("layer3", "(16, 32) → (16, 1)")]
        let rows = lines.filter { line in expected.contains { line.hasPrefix($0.0 + " ") } }
        #expect(rows.count == 8, "\(outcome.stdout)")
        for ((name, shapes), row) in zip(expected, rows) {
            #expect(row.split(separator: " ").first.map(String.init) == name)
            #expect(row.contains(shapes), "\(row)")
        }
        #expect(lines.last == "total parameters: 3649")
    }

    @Test func inspectWithAnUnknownLayerIsOneLine() throws {
        let weights = try Self.weightsFile("clinical-mlp.yaml")
        defer { try? FileManager.default.removeItem(atPath: weights) }
        let outcome = try LockstepProcess.run(["inspect", "activations", "--config", "configs/clinical-mlp.yaml",
                                               "--weights", weights, "--layers", "bn1,nope"])
        Self.expectOneLineError(outcome, containing: "unknown layer 'nope' (the model's layers: layer1, bn1, 2, 3, layer2, bn2, 6, layer3)")
    }

    @Test func inspectWithWeightsOfAnotherModelIsOneLine() throws {
        let weights = try Self.weightsFile("digits-mlp.yaml")
        defer { try? FileManager.default.removeItem(atPath: weights) }
        let outcome = try LockstepProcess.run(["inspect", "activations", "--config", "configs/clinical-mlp.yaml", "--weights", weights])
        Self.expectOneLineError(outcome, containing: weights)
    }

    @Test func inspectPrintsEveryLayerAsTableAndJSON() throws {
        let weights = try Self.weightsFile("clinical-mlp.yaml")
        defer { try? FileManager.default.removeItem(atPath: weights) }
        let base = ["inspect", "activations", "--config", "configs/clinical-mlp.yaml", "--weights", weights, "--batch", "64"]
        let table = try LockstepProcess.run(base)
        #expect(table.status == 0, "\(table.stderr)")
        let lines = table.stdout.split(separator: "\n")
        #expect(lines.count == 10)   // heading, column names, 8 layers
        #expect(lines.contains { $0.hasPrefix("bn2 ") && $0.contains("(64, 32)") })
        let json = try LockstepProcess.run(base + ["--layers", "bn1,2", "--json"])
        #expect(json.status == 0, "\(json.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let layers = try #require(object["layers"] as? [[String: Any]])
        #expect(layers.map { $0["name"] as? String } == ["bn1", "2"])
        #expect(layers[0]["batch_norm_normalized"] != nil && layers[1]["dead_fraction"] != nil)
    }

    @Test func gradcheckOfAnOpWithoutBackwardIsOneLine() throws {
        Self.expectOneLineError(try LockstepProcess.run(["gradcheck", "--op", "round"]), containing: "op 'round' has no backward")
        Self.expectOneLineError(try LockstepProcess.run(["gradcheck", "--op", "nope"]), containing: "unknown op 'nope'")
    }

    @Test func gradcheckPasses() throws {
        let ops = try LockstepProcess.run(["gradcheck"])
        #expect(ops.status == 0, "\(ops.stdout)\(ops.stderr)")
        #expect(ops.stdout.contains("not checked (no backward): round, sign, argmax"))
        let outcome = try LockstepProcess.run(["gradcheck", "--config", "configs/clinical-mlp.yaml"])
        #expect(outcome.status == 0, "\(outcome.stdout)\(outcome.stderr)")
        let lines = outcome.stdout.split(separator: "\n")
        #expect(lines.last?.hasPrefix("gradcheck: ") == true && lines.last?.contains("checks passed") == true)
        #expect(lines.contains { $0.hasPrefix("model + bce_with_logits loss") && $0.hasSuffix("pass") })
        #expect(!lines.contains { $0.hasSuffix("FAIL") })
    }
}
