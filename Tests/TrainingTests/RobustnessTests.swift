import Foundation
import Testing
import TensorCore
import Checkpointing
import Training
import Config

/// Checkpoints whose run state does not fit the run (issue 11, defects 1 and 2): each is refused in one
/// line naming the file, before any parameter moves — never a trap, never a silently different result.
@Suite("resume: checkpoint step against the run")
struct ResumeValidationTests {
    static func config() throws -> RunConfig {
        try RunConfig(yaml: TT.referenceYAML(steps: 6, evalEvery: 0, checkpointEvery: 3, keepCheckpoints: 10),
                      source: "resume.yaml")
    }

    /// A finished 6-step run with checkpoints at steps 3 and 6.
    static func finishedRun() throws -> String {
        let directory = try TT.temporaryDirectory("resume-validation")
        try TT.quietRun(config(), in: directory).run()
        return directory
    }

    /// Rewrites the step-3 checkpoint with `change` applied, as a new file `latest` points at (the
    /// file's own digests are recomputed, as by someone editing it on purpose).
    static func edit(_ directory: String, _ change: (inout SafetensorsArchive) -> Void) throws {
        var archive = try SafetensorsArchive(contentsOf: directory + "/checkpoints/step-00000003.safetensors")
        change(&archive)
        archive.recordDigests()
        try archive.write(to: directory + "/checkpoints/step-00000004.safetensors")
        try TT.write("step-00000004.safetensors\n", to: directory + "/checkpoints/latest")
    }

    static func expectRefusal(_ directory: String, mentions: [String], sourceLocation: SourceLocation = #_sourceLocation) throws {
        do {
            try TT.quietRun(config(), in: directory, resume: true).run()
            Issue.record("the checkpoint was accepted", sourceLocation: sourceLocation)
        } catch let error as TrainingError {
            #expect(!error.description.contains("\n"), sourceLocation: sourceLocation)
            for mention in mentions {
                #expect(error.description.contains(mention), "\(error.description) should mention \(mention)", sourceLocation: sourceLocation)
            }
        }
    }

    @Test("a step beyond train.steps, a negative step or Int64.max is refused")
    func stepOutOfRange() throws {
        let directory = try Self.finishedRun()
        defer { TT.remove(directory) }
        for step in ["7", "-1", "0", String(Int64.max)] {
            try Self.edit(directory) { $0.metadata["step"] = step }
            try Self.expectRefusal(directory, mentions: ["step-00000004.safetensors", "checkpoint step \(step) is outside"])
        }
    }

    @Test("an in-range step that disagrees with the optimizer's counters is refused")
    func stepDisagreesWithOptimizer() throws {
        let directory = try Self.finishedRun()
        defer { TT.remove(directory) }
        try Self.edit(directory) { $0.metadata["step"] = "2" }
        try Self.expectRefusal(directory, mentions: ["step-00000004.safetensors", "optimizer counter", "is 3", "at step 2"])
    }

    @Test("resuming a finished run says it is finished")
    func finished() throws {
        let directory = try Self.finishedRun()
        defer { TT.remove(directory) }
        try Self.expectRefusal(directory, mentions: ["step-00000006.safetensors", "already finished"])
    }
}

/// Sizes that cannot fit are refused from the config alone, before anything is allocated (defect 8).
@Suite("resource estimate")
struct ResourceEstimateTests {
    @Test("the reference model fits; a 10⁸-wide layer and 10⁹ samples do not, and the error gives the figure")
    func refusals() throws {
        let base = try RunConfig(yaml: TT.referenceYAML(), source: "r.yaml")
        try ResourceEstimate(base).check()
        let wide = try RunConfig(yaml: TT.referenceYAML(), source: "r.yaml", overrides: ["model.layers[0].out=100000000"])
        // 20·10⁸ + 10⁸·64 weights, values + gradients + momentum, 4 bytes: at least 100 GB.
        #expect(try ResourceEstimate(wide).modelBytes > 100_000_000_000)
        #expect(throws: TrainingError.self) { try ResourceEstimate(wide).check(available: 20_000_000_000) }
        let many = try RunConfig(yaml: TT.referenceYAML(), source: "r.yaml", overrides: ["data.samples=1000000000"])
        do {
            try ResourceEstimate(many).check(available: 20_000_000_000)
            Issue.record("10⁹ samples were accepted")
        } catch let error as TrainingError {
            #expect(error.description.contains("84.0 GB"), "\(error)")   // 10⁹ × 21 columns × 4 bytes
            #expect(error.description.contains("20.0 GB"), "\(error)")
        }
    }

    @Test("simulated ranks multiply the model's share, not the data's")
    func replicas() throws {
        let config = try RunConfig(yaml: TT.referenceYAML(), source: "r.yaml")
        let estimate = try ResourceEstimate(config)
        #expect(estimate.totalBytes(replicas: 4) == 4 * estimate.modelBytes + estimate.dataBytes)
    }

    @Test("a layer size that overflows is a config error, not a trap")
    func overflow() throws {
        #expect(throws: ConfigError.self) {
            try RunConfig(yaml: TT.referenceYAML(), source: "r.yaml", overrides: ["model.layers[0].out=4611686018427387904"])
        }
    }
}

/// A loss that grows without bound is divergence even while it stays finite (defect 12): with batch
/// norm, lr = 1e30 kept the loss near 5e29 and the run once finished with exit 0.
@Suite("divergence")
struct DivergenceTests {
    @Test("lr = 1e30 on the reference model (batch norm and all) stops with a divergence error")
    func finiteButHuge() throws {
        let config = try RunConfig(yaml: TT.referenceYAML(steps: 20), source: "r.yaml", overrides: ["optimizer.lr=1e30"])
        do {
            _ = try TT.train(config)
            Issue.record("training with lr 1e30 finished")
        } catch let error as TrainingError {
            #expect(error.description.hasPrefix("training diverged at step"), "\(error)")
        }
    }
}

/// `--no-verify` through the CLI (issue 11, defect 5): a file whose bytes no longer match its recorded
/// digests is refused in one line naming it, and accepted only when the user says it was edited on purpose.
@Suite("--no-verify")
struct NoVerifyTests {
    @Test("train --init and inspect refuse an edited model file; --no-verify loads it")
    func editedFile() throws {
        let directory = try CLITests.workspace("no-verify")
        defer { TT.remove(directory) }
        let first = try CLI.run(["train", "--config", "run.yaml", "--out", "first", "--quiet"], in: directory)
        #expect(first.status == 0, "\(first.stderr)")
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: directory + "/first/model.safetensors")))
        bytes[bytes.count - 3] ^= 0x10   // a bit of the last tensor's data: a finite value stays finite
        try Data(bytes).write(to: URL(fileURLWithPath: directory + "/edited.safetensors"))

        let refused = try CLI.run(["train", "--config", "run.yaml", "--out", "second", "--quiet", "--init", "edited.safetensors"], in: directory)
        #expect(refused.status != 0)
        #expect(refused.errorLines.count == 1, "\(refused.stderr)")
        #expect(refused.errorLines.first?.contains("edited.safetensors") == true, "\(refused.stderr)")
        #expect(refused.errorLines.first?.contains("--no-verify") == true, "\(refused.stderr)")
        let accepted = try CLI.run(["train", "--config", "run.yaml", "--out", "third", "--quiet", "--init", "edited.safetensors",
                                    "--no-verify"], in: directory)
        #expect(accepted.status == 0, "\(accepted.stderr)")

        let inspect = try CLI.run(["inspect", "activations", "--config", "run.yaml", "--weights", "edited.safetensors"], in: directory)
        #expect(inspect.status != 0)
        let inspectAnyway = try CLI.run(["inspect", "activations", "--config", "run.yaml", "--weights", "edited.safetensors", "--no-verify"], in: directory)
        #expect(inspectAnyway.status == 0, "\(inspectAnyway.stderr)")
    }
}
