import Foundation
import Testing
import Checkpointing
import Training
import Config

/// Resume that users can steer (issue 9): a config that differs from the checkpoint's is refused with
/// the list of differing keys, unless `--allow-config-change` names them; `train.steps` may be
/// extended that way, and with a constant schedule the extended run equals one that was that long
/// from the start.
@Suite("resume: config changes")
struct ResumeSteeringTests {
    static func config(steps: Int, overrides: [String] = []) throws -> RunConfig {
        try RunConfig(yaml: TT.referenceYAML(steps: steps, evalEvery: 0, checkpointEvery: 5, keepCheckpoints: 10),
                      source: "steer.yaml", overrides: overrides)
    }

    @Test("every differing key is listed; the refusal names the flag that allows it")
    func refusedWithKeys() throws {
        let directory = try TT.temporaryDirectory("steer-refused")
        defer { TT.remove(directory) }
        try TT.quietRun(try Self.config(steps: 5), in: directory).run()
        let changed = try Self.config(steps: 10, overrides: ["optimizer.lr=0.05"])
        do {
            try TT.quietRun(changed, in: directory, resume: true).run()
            Issue.record("a changed config was resumed")
        } catch let error as TrainingError {
            #expect(error.description.contains("optimizer.lr (0.1 → 0.05)"), "\(error)")
            #expect(error.description.contains("train.steps (5 → 10)"), "\(error)")
            #expect(error.description.contains("--allow-config-change optimizer.lr train.steps"), "\(error)")
        }
        // Allowing one of two keys is not enough.
        let run = TT.quietRun(changed, in: directory, resume: true)
        run.allowedConfigChanges = ["train.steps"]
        #expect(throws: TrainingError.self) { try run.run() }
    }

    @Test("--allow-config-change train.steps extends a finished run to the bits of the longer run")
    func extendSteps() throws {
        let short = try TT.temporaryDirectory("steer-short"), long = try TT.temporaryDirectory("steer-long")
        defer { TT.remove(short); TT.remove(long) }
        try TT.quietRun(try Self.config(steps: 5), in: short).run()
        let extended = TT.quietRun(try Self.config(steps: 12), in: short, resume: true)
        extended.allowedConfigChanges = ["train.steps"]
        try extended.run()
        try TT.quietRun(try Self.config(steps: 12), in: long).run()
        let a = try SafetensorsArchive(contentsOf: short + "/model.safetensors").paramsSHA256()
        let b = try SafetensorsArchive(contentsOf: long + "/model.safetensors").paramsSHA256()
        #expect(a == b)
    }

    @Test("differences are found in canonical form: spelling and defaults do not count")
    func canonical() throws {
        let a = try Self.config(steps: 5)
        let b = try Self.config(steps: 5, overrides: ["train.log_every=5", "optimizer.nesterov=false"])
        #expect(a.differences(from: b).isEmpty)
        let c = try Self.config(steps: 5, overrides: ["model.layers[0].out=65", "model.layers[4]={name: layer2, type: linear, out: 32, bias: false}"])
        #expect(c.differences(from: a).map(\.key) == ["model.layers[0].out", "model.layers[4].bias"])
    }
}
