import Foundation
import Testing
import Config

/// `lockstep config`: the canonical form and digest of a config.
@Suite("lockstep config")
struct ConfigCLITests {
    @Test func printsTheCanonicalFormAndDigest() throws {
        let outcome = try LockstepProcess.run(["config", "--config", "configs/clinical-mlp.yaml", "--set", "train.steps=30"])
        #expect(outcome.status == 0, "\(outcome.stderr)")
        let config = try RunConfig.load(path: LockstepProcess.repositoryRoot.appendingPathComponent("configs/clinical-mlp.yaml").path,
                                        overrides: ["train.steps=30"])
        #expect(outcome.stdout == config.canonicalYAML + "# config_digest: \(config.configDigest)\n")
    }

    @Test func badConfigIsOneLine() throws {
        let outcome = try LockstepProcess.run(["config", "--config", "configs/clinical-mlp.yaml", "--set", "train.steps=0"])
        #expect(outcome.status != 0)
        #expect(outcome.stderr.contains("train.steps: expected a positive integer, got 0 (from --set train.steps=0)"))
        #expect(outcome.stderr.split(separator: "\n").count == 1, "\(outcome.stderr)")
    }
}
