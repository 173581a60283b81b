import Foundation
import Testing
import TensorCore
import Checkpointing
import Training
import Config
import Crypto

/// What `TrainingRun` leaves in its output directory: summary.json, model.safetensors, metrics.jsonl,
/// checkpoints; determinism across identical runs; resume from a checkpoint.
@Suite("TrainingRun: outputs, determinism, resume")
struct RunOutputTests {
    static let stateDictNames = [
        "layer1.weight", "layer1.bias",
        "bn1.weight", "bn1.bias", "bn1.running_mean", "bn1.running_var", "bn1.num_batches_tracked",
        "layer2.weight", "layer2.bias",
        "bn2.weight", "bn2.bias", "bn2.running_mean", "bn2.running_var", "bn2.num_batches_tracked",
        "layer3.weight", "layer3.bias",
    ]

    static func config(steps: Int = 20, checkpointEvery: Int = 0, overrides: [String] = []) throws -> RunConfig {
        try RunConfig(yaml: TT.referenceYAML(steps: steps, checkpointEvery: checkpointEvery, keepCheckpoints: 10),
                      source: "run.yaml", overrides: overrides)
    }

    static func jsonObject(atPath path: String) throws -> [String: Any] {
        let data = try #require(FileManager.default.contents(atPath: path), "\(path) is missing")
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any], "\(path) is not a JSON object")
    }

    /// The safetensors file read with nothing but its format description: 8-byte little-endian
    /// header length, JSON header, data. Returns the header entries in data order and the data section.
    static func rawSafetensors(atPath path: String) throws -> (entries: [(name: String, dtype: String, shape: [Int], begin: Int, end: Int)], metadata: [String: String], data: [UInt8]) {
        let bytes = [UInt8](try #require(FileManager.default.contents(atPath: path)))
        #expect(bytes.count >= 8)
        let headerLength = (0..<8).reduce(0) { $0 | Int(bytes[$1]) << (8 * $1) }
        let header = try #require(try JSONSerialization.jsonObject(with: Data(bytes[8..<(8 + headerLength)])) as? [String: Any])
        var entries: [(name: String, dtype: String, shape: [Int], begin: Int, end: Int)] = []
        var metadata: [String: String] = [:]
        for (name, value) in header {
            if name == "__metadata__" {
                metadata = try #require(value as? [String: String])
                continue
            }
            let entry = try #require(value as? [String: Any])
            let offsets = try #require(entry["data_offsets"] as? [Int])
            entries.append((name, try #require(entry["dtype"] as? String), try #require(entry["shape"] as? [Int]), offsets[0], offsets[1]))
        }
        entries.sort { $0.begin < $1.begin }
        return (entries, metadata, Array(bytes[(8 + headerLength)...]))
    }

    @Test("summary.json, model.safetensors and metrics.jsonl hold what the docs promise")
    func outputs() throws {
        let config = try Self.config()
        let directory = try TT.temporaryDirectory("outputs")
        defer { TT.remove(directory) }
        let summary = try TT.quietRun(config, in: directory).run()

        // summary.json: every required key, sane values, equal to the returned summary.
        let json = try Self.jsonObject(atPath: directory + "/summary.json")
        for key in ["steps", "world_size", "global_batch", "micro_batch", "accumulation", "final_train_loss",
                    "validation", "samples_per_second", "params_sha256"] {
            #expect(json[key] != nil, "summary.json has no '\(key)'")
        }
        #expect(json["steps"] as? Int == 20)
        #expect(json["world_size"] as? Int == 1)
        #expect(json["global_batch"] as? Int == 64)
        #expect(json["micro_batch"] as? Int == 16)
        #expect(json["accumulation"] as? Int == 4)
        let trainLoss = try #require(json["final_train_loss"] as? Double)
        #expect(trainLoss.isFinite && trainLoss > 0 && trainLoss < 1.0)
        let validation = try #require(json["validation"] as? [String: Any])
        let validationLoss = try #require(validation["loss"] as? Double)
        #expect(validationLoss.isFinite && validationLoss > 0 && validationLoss < 1.0)
        let accuracy = try #require(validation["accuracy"] as? Double)
        #expect(accuracy > 0.5 && accuracy <= 1)
        let auc = try #require(validation["auc"] as? Double)
        #expect(auc > 0.55 && auc <= 1)
        let samplesPerSecond = try #require(json["samples_per_second"] as? Double)
        #expect(samplesPerSecond > 0 && samplesPerSecond.isFinite)
        let sha = try #require(json["params_sha256"] as? String)
        #expect(sha.count == 64 && sha.allSatisfy { "0123456789abcdef".contains($0) })
        #expect(sha == summary.paramsSHA256)
        #expect(json["config_digest"] as? String == config.configDigest)
        let decoded = try JSONDecoder().decode(RunSummary.self, from: try #require(FileManager.default.contents(atPath: directory + "/summary.json")))
        #expect(decoded == summary)

        // model.safetensors, read byte by byte: PyTorch's names in state-dict order, F32 and I64.
        let raw = try Self.rawSafetensors(atPath: directory + "/model.safetensors")
        #expect(raw.entries.map(\.name) == Self.stateDictNames)
        for entry in raw.entries {
            #expect(entry.dtype == (entry.name.hasSuffix("num_batches_tracked") ? "I64" : "F32"), "\(entry.name)")
        }
        #expect(raw.entries.first { $0.name == "layer1.weight" }?.shape == [64, 20])
        #expect(raw.entries.first { $0.name == "bn2.running_var" }?.shape == [32])
        #expect(raw.entries.first { $0.name == "bn1.num_batches_tracked" }?.shape == [])
        #expect(raw.entries.last?.end == raw.data.count)
        // params_sha256 = SHA-256 of the tensors' raw bytes, in state-dict order.
        var hasher = SHA256()
        for entry in raw.entries { hasher.update(data: raw.data[entry.begin..<entry.end]) }
        #expect(hasher.finalize().hex == sha)
        #expect(raw.metadata["params_sha256"] == sha)
        #expect(raw.metadata["step"] == "20")
        #expect(raw.metadata["config_digest"] == config.configDigest)

        // The same file through the library: num_batches_tracked counts optimizer steps.
        let archive = try SafetensorsArchive(contentsOf: directory + "/model.safetensors")
        let tracked = try #require(archive["bn1.num_batches_tracked"])
        #expect(tracked.dtype == .int64 && tracked.element(0) == 20)
        let model = try ModelBuilder.build(config)
        try model.loadStateDict(Dictionary(uniqueKeysWithValues: archive.tensors.map { ($0.name, $0.tensor) }))
        #expect(StateDictFile.archive(model: model).paramsSHA256().hex == sha)

        // metrics.jsonl: one JSON object per line; train records every log_every, eval every eval_every.
        let text = try String(contentsOfFile: directory + "/metrics.jsonl", encoding: .utf8)
        #expect(text.hasSuffix("\n"))
        let records = try text.split(separator: "\n").map { line in
            try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "not a JSON object: \(line)")
        }
        let train = records.filter { $0["event"] as? String == "train" }
        let eval = records.filter { $0["event"] as? String == "eval" }
        let segments = records.filter { $0["event"] as? String == "segment" }
        #expect(train.count + eval.count + segments.count == records.count)
        #expect(segments.count == 1 && segments.first?["world_size"] as? Int == 1 && segments.first?["start_step"] as? Int == 0)
        #expect(train.compactMap { $0["step"] as? Int } == [5, 10, 15, 20])
        for record in train {
            #expect((record["loss"] as? Double)?.isFinite == true)
            #expect(record["lr"] as? Double == 0.1)
            #expect(((record["samples_per_second"] as? Double) ?? 0) > 0)
        }
        #expect(train.last?["loss"] as? Double == trainLoss)
        #expect(eval.compactMap { $0["step"] as? Int } == [10, 20])
        let lastValidation = try #require(eval.last?["validation"] as? [String: Any])
        #expect(lastValidation["auc"] as? Double == auc)
        #expect(lastValidation["samples"] as? Int == 400)
    }

    @Test("two identical runs write the same parameters, bit for bit")
    func determinism() throws {
        let config = try Self.config(steps: 12)
        let first = try TT.temporaryDirectory("determinism-1"), second = try TT.temporaryDirectory("determinism-2")
        defer { TT.remove(first); TT.remove(second) }
        let a = try TT.quietRun(config, in: first).run()
        let b = try TT.quietRun(config, in: second).run()
        #expect(a.paramsSHA256 == b.paramsSHA256)
        #expect(a.finalTrainLoss == b.finalTrainLoss)
        #expect(a.validation == b.validation)
        #expect(FileManager.default.contents(atPath: first + "/model.safetensors")
                == FileManager.default.contents(atPath: second + "/model.safetensors"))
        // A different seed is a different run (the digest is not a constant). It replaces the run in
        // `second`, which it may only with --overwrite (issue 23).
        let otherRun = TT.quietRun(try Self.config(steps: 12, overrides: ["seed=8"]), in: second)
        otherRun.overwrite = true
        let other = try otherRun.run()
        #expect(other.paramsSHA256 != a.paramsSHA256)
    }

    /// An interrupted run: only the step-10 checkpoint made it to disk. Resuming with the same config
    /// continues from it (parameters, batch-norm buffers, momentum, data position) and ends with the
    /// same bits as the run that was never interrupted.
    @Test("resume from a checkpoint reaches the same parameters as an uninterrupted run")
    func resume() throws {
        let config = try Self.config(steps: 20, checkpointEvery: 5)
        let full = try TT.temporaryDirectory("resume-full"), resumed = try TT.temporaryDirectory("resume-part")
        defer { TT.remove(full); TT.remove(resumed) }
        let uninterrupted = try TT.quietRun(config, in: full).run()
        let checkpoints = try FileManager.default.contentsOfDirectory(atPath: full + "/checkpoints").sorted()
        #expect(checkpoints == ["latest", "step-00000005.safetensors", "step-00000010.safetensors",
                                "step-00000015.safetensors", "step-00000020.safetensors"])
        #expect(try String(contentsOfFile: full + "/checkpoints/latest", encoding: .utf8) == "step-00000020.safetensors\n")
        // A checkpoint holds the optimizer's momentum next to the state dict, and the run state.
        let step10 = try SafetensorsArchive(contentsOf: full + "/checkpoints/step-00000010.safetensors")
        #expect(step10.names.contains { $0.hasPrefix("optimizer.") })
        #expect(step10.metadata["step"] == "10")

        // The state after a crash between step 10's checkpoint and step 15's.
        try FileManager.default.createDirectory(atPath: resumed + "/checkpoints", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: full + "/checkpoints/step-00000010.safetensors",
                                         toPath: resumed + "/checkpoints/step-00000010.safetensors")
        try TT.write("step-00000010.safetensors\n", to: resumed + "/checkpoints/latest")
        let summary = try TT.quietRun(config, in: resumed, resume: true).run()
        #expect(summary.paramsSHA256 == uninterrupted.paramsSHA256)
        #expect(summary.finalTrainLoss == uninterrupted.finalTrainLoss)
        // The resumed run's metrics continue after step 10.
        let text = try String(contentsOfFile: resumed + "/metrics.jsonl", encoding: .utf8)
        let objects = try text.split(separator: "\n").map { line in
            try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        }
        #expect(objects.first?["event"] as? String == "segment" && objects.first?["start_step"] as? Int == 10)
        let steps = objects.dropFirst().compactMap { $0["step"] as? Int }
        #expect(steps.count == objects.count - 1)
        #expect(steps.first == 15 && steps.allSatisfy { $0 > 10 })

        // Without --resume, the same directory is refused (it holds a run, issue 23); with --overwrite
        // it starts over from step 0 (and so ends the same).
        #expect(throws: TrainingError.self) { try TT.quietRun(config, in: resumed).run() }
        let freshRun = TT.quietRun(config, in: resumed)
        freshRun.overwrite = true
        let fresh = try freshRun.run()
        #expect(fresh.paramsSHA256 == uninterrupted.paramsSHA256)
    }

    /// The checkpoint records the config digest, and the digest covers `train.steps`: a checkpoint
    /// cannot be resumed under a changed config, not even one that only runs longer.
    @Test("resume refuses a checkpoint written by a different config")
    func resumeWithDifferentConfig() throws {
        let directory = try TT.temporaryDirectory("resume-other")
        defer { TT.remove(directory) }
        try TT.quietRun(try Self.config(steps: 5, checkpointEvery: 5), in: directory).run()
        let longer = try Self.config(steps: 10, checkpointEvery: 5)
        do {
            try TT.quietRun(longer, in: directory, resume: true).run()
            Issue.record("resuming under a different config should fail")
        } catch let error as TrainingError {
            #expect(error.description.contains("different config"))
            #expect(!error.description.contains("\n"))
        }
    }
}
