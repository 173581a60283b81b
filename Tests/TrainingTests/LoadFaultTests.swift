import Foundation
import Testing
import TensorCore
import NN
import Checkpointing
import Config
import Training

/// Issue 11, the load side: every `--init`, `--resume` and `eval` load verifies the file, refuses
/// non-finite weights and absurd counts, and names the file in every error.
@Suite("Loading state: verification, non-finite values, fallback")
struct LoadFaultTests {
    static func config(steps: Int = 4, checkpointEvery: Int = 0) throws -> RunConfig {
        try RunConfig(yaml: TT.referenceYAML(samples: 200, steps: steps, global: 16, micro: 16, evalEvery: 0, logEvery: 2,
                                             checkpointEvery: checkpointEvery, keepCheckpoints: 5),
                      source: "load.yaml")
    }

    /// A trainer after one step, and its checkpoint archive (model, optimizer, run metadata).
    static func trainedCheckpoint() throws -> (trainer: Trainer, archive: SafetensorsArchive) {
        let config = try config()
        let trainer = try Trainer(config: config, data: PreparedData(config: config))
        _ = try trainer.step()
        let archive = StateDictFile.archive(model: trainer.model, optimizer: trainer.optimizer,
                                            metadata: ["step": "1", "seed": "7", "config_digest": config.configDigest])
        return (trainer, archive)
    }

    /// `archive` with one tensor replaced through `edit`, re-signed (as a tool editing it would).
    static func edited(_ archive: SafetensorsArchive, _ name: String, _ edit: (Tensor) -> Void) -> SafetensorsArchive {
        var copy = SafetensorsArchive(tensors: archive.tensors.map { ($0.name, $0.tensor.copy()) }, metadata: archive.metadata)
        edit(copy[name]!)
        copy.recordDigests()
        return copy
    }

    static func message(_ body: () throws -> Void) -> String? {
        do { try body() } catch { return String(describing: error) }
        return nil
    }

    /// Before the fix the optimizer's error did not say which file lacked the state.
    @Test("missing optimizer state names the file")
    func missingOptimizerStateNamesTheFile() throws {
        let directory = try TT.temporaryDirectory("no-optimizer")
        defer { TT.remove(directory) }
        let (trainer, _) = try Self.trainedCheckpoint()
        let path = directory + "/model.safetensors"
        try StateDictFile.archive(model: trainer.model).write(to: path)
        let error = try #require(Self.message { try StateDictFile.restore(from: path, into: trainer.model, optimizer: trainer.optimizer) })
        #expect(error.hasPrefix("\(path): optimizer state 'optimizer.") && error.contains("is missing"))
    }

    /// Before the fix a file whose bytes no longer matched its own digest loaded silently.
    @Test("a damaged file is refused on every load path unless verification is off")
    func damagedFileIsRefused() throws {
        let directory = try TT.temporaryDirectory("damaged")
        defer { TT.remove(directory) }
        let (trainer, archive) = try Self.trainedCheckpoint()
        let path = directory + "/step-00000001.safetensors"
        var bytes = try archive.encoded()
        bytes[bytes.count - 20] ^= 0x01   // a bit of the last optimizer tensor
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        for optimizer in [trainer.optimizer, nil] {
            let error = try #require(Self.message { try StateDictFile.restore(from: path, into: trainer.model, optimizer: optimizer) })
            #expect(error.hasPrefix("\(path): content does not match its recorded 'content_sha256'"))
            #expect(!error.contains("\n"))
        }
        #expect(Self.message { _ = try StateDictFile.read(path, for: trainer.model) } != nil)
        // Edited on purpose: --no-verify loads it.
        try StateDictFile.restore(from: path, into: trainer.model, optimizer: trainer.optimizer, verify: false)
    }

    /// Before the fix `--init` from NaN weights trained and wrote a model full of NaNs with exit 0.
    @Test("non-finite weights are refused at load, naming the tensor")
    func nonFiniteWeightsAreRefused() throws {
        let directory = try TT.temporaryDirectory("nan")
        defer { TT.remove(directory) }
        let (trainer, archive) = try Self.trainedCheckpoint()
        for (name, value) in [("layer2.weight", Double.nan), ("bn1.running_var", .infinity),
                              ("optimizer.layer1.weight.momentum_buffer", -.infinity)] {
            let path = directory + "/w.safetensors"
            try Self.edited(archive, name) { $0.setElement(3, value) }.write(to: path)
            let error = try #require(Self.message { try StateDictFile.restore(from: path, into: trainer.model, optimizer: trainer.optimizer) })
            #expect(error.hasPrefix("\(path): tensor '\(name)' holds \(Float(value)) at element 3"), "\(error)")
        }
    }

    /// Before the fix `num_batches_tracked` = Int64.max loaded, and the next train-mode forward
    /// trapped converting Int64.max + 1 (as a Double) back to Int64.
    @Test("absurd BatchNorm batch counts are refused at load")
    func absurdBatchCountsAreRefused() throws {
        let directory = try TT.temporaryDirectory("bn-count")
        defer { TT.remove(directory) }
        let (trainer, archive) = try Self.trainedCheckpoint()
        for value: Int64 in [.max, .min, -1, (1 << 53) + 1] {
            let path = directory + "/w.safetensors"
            try Self.edited(archive, "bn2.num_batches_tracked") {
                $0.rawPointer.assumingMemoryBound(to: Int64.self).pointee = value
            }.write(to: path)
            let error = try #require(Self.message { try StateDictFile.restore(from: path, into: trainer.model, optimizer: trainer.optimizer) })
            #expect(error == "\(path): tensor 'bn2.num_batches_tracked' holds \(value) batches, expected a count in 0...9007199254740992")
        }
    }

    @Test("a BatchNorm count at Int64.max stops there instead of trapping")
    func batchCountSaturates() throws {
        let bn = BatchNorm1d(2)
        bn.numBatchesTracked.rawPointer.assumingMemoryBound(to: Int64.self).pointee = .max
        bn.updateRunningStatistics(mean: Tensor.zeros([2]), unbiasedVariance: Tensor.ones([2]))
        #expect(bn.numBatchesTracked.rawPointer.assumingMemoryBound(to: Int64.self).pointee == .max)
        bn.numBatchesTracked.rawPointer.assumingMemoryBound(to: Int64.self).pointee = 41
        bn.updateRunningStatistics(mean: Tensor.zeros([2]), unbiasedVariance: Tensor.ones([2]))
        #expect(bn.numBatchesTracked.element(0) == 42)
    }

    /// Before the fix a corrupt newest checkpoint made `--resume` fail although an older one was fine.
    @Test("resume falls back past a corrupt newest checkpoint, says so, and ends where an uninterrupted run does")
    func resumeFallsBack() throws {
        let directory = try TT.temporaryDirectory("fallback")
        defer { TT.remove(directory) }
        let config = try Self.config(steps: 4, checkpointEvery: 2)
        let run = TrainingRun(config: config, outputDirectory: directory)
        run.log = { _ in }
        run.showsProgress = false
        let uninterrupted = try run.run()
        let newest = directory + "/checkpoints/step-00000004.safetensors"
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: newest)))
        bytes[bytes.count - 1] ^= 0x10
        try Data(bytes).write(to: URL(fileURLWithPath: newest))

        var lines: [String] = []
        let resumed = TrainingRun(config: config, outputDirectory: directory, resume: true)
        resumed.log = { lines.append($0) }
        resumed.showsProgress = false
        let summary = try resumed.run()
        #expect(summary.paramsSHA256 == uninterrupted.paramsSHA256)
        let report = try #require(lines.first { $0.hasPrefix("resuming from") })
        #expect(report.hasPrefix("resuming from \(directory)/checkpoints/step-00000002.safetensors (skipped 1 newer: \(newest): content does not match"))
    }
}
