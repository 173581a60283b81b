import Foundation
import Testing
import TensorCore
import Checkpointing
import Config
import Training

/// The crash half of the fault model (docs/reliability.md): `lockstep train` killed with SIGKILL
/// at arbitrary moments while it checkpoints every step leaves only complete checkpoints that
/// verify, a `latest` that names one of them, and a directory that resumes to the bits of a run that
/// was never interrupted. Where each kill lands depends on timing; the assertions hold wherever it does.
@Suite("Kill -9 during checkpointing")
struct KillDuringCheckpointTests {
    static let steps = 400

    static func yaml(outputDir: String) -> String {
        TT.referenceYAML(samples: 400, steps: steps, global: 16, micro: 16, evalEvery: 0, logEvery: 5,
                         checkpointEvery: 1, keepCheckpoints: 3, outputDir: outputDir)
    }

    /// Starts `lockstep train`, sends `signal` after `delay` seconds (if it is still running), waits.
    /// Returns whether the signal ended it (rather than the run finishing first).
    @discardableResult
    static func trainAndKill(config: String, out: String, resume: Bool, signal: Int32, delay: Double) throws -> Bool {
        let process = Process()
        process.executableURL = LockstepProcess.binary
        process.arguments = ["train", "--config", config, "--out", out, "--quiet"] + (resume ? ["--resume"] : [])
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        Thread.sleep(forTimeInterval: delay)
        if process.isRunning { kill(process.processIdentifier, signal) }
        process.waitUntilExit()
        return process.terminationReason == .uncaughtSignal
    }

    /// Every checkpoint on disk loads and verifies; `latest`, when present, names one of them.
    static func checkDirectory(_ out: String, config: RunConfig, label: String) throws {
        let model = try ModelBuilder.build(config)
        let checkpoints = CheckpointDirectory(path: out + "/checkpoints")
        for checkpoint in try checkpoints.checkpoints() {
            #expect(throws: Never.self, "\(label): \(checkpoint.path) does not load") {
                _ = try StateDictFile.read(checkpoint.path, for: model)
            }
        }
        if FileManager.default.fileExists(atPath: out + "/checkpoints/latest") {
            let latest = try #require(try checkpoints.latestPath(), "\(label)")
            #expect(try checkpoints.checkpoints().map(\.path).contains(latest), "\(label): latest names \(latest)")
        }
    }

    @Test("killed six times, the directory always verifies and resumes to the uninterrupted bits",
          .enabled(if: FileManager.default.isExecutableFile(atPath: LockstepProcess.binary.path)))
    func killsLoseNothing() throws {
        let directory = try TT.temporaryDirectory("kill")
        defer { TT.remove(directory) }
        let reference = try RunConfig(yaml: Self.yaml(outputDir: directory + "/reference"), source: "reference.yaml")
        let quiet: (TrainingRun) -> TrainingRun = { $0.log = { _ in }; $0.showsProgress = false; return $0 }
        let uninterrupted = try quiet(TrainingRun(config: reference, outputDirectory: directory + "/reference")).run()

        let out = directory + "/killed"
        let configPath = directory + "/killed.yaml"
        try TT.write(Self.yaml(outputDir: out), to: configPath)
        let config = try RunConfig(yaml: Self.yaml(outputDir: out), source: configPath)
        // Successive kills land later and later; each restarts with --resume from what the last left.
        var killed = 0
        // SIGKILL only: a child of the test runner may inherit an ignored SIGTERM (seen here), and a
        // default-action SIGTERM ends the process exactly as SIGKILL does (no handler is installed).
        for (attempt, delay) in [0.6, 0.7, 0.8, 0.9, 1.0, 1.1].enumerated() {
            if try Self.trainAndKill(config: configPath, out: out, resume: attempt > 0, signal: SIGKILL, delay: delay) { killed += 1 }
            try Self.checkDirectory(out, config: config, label: "after kill \(attempt + 1)")
        }
        print("kill test: \(killed) of 6 signals landed while training ran")
        if FileManager.default.fileExists(atPath: out + "/summary.json") {
            // A fast machine finished the run between kills (resuming it would only say it is finished):
            // its final model must still be the uninterrupted one.
            let model = try SafetensorsArchive(contentsOf: out + "/model.safetensors")
            #expect(model.metadata[CheckpointMetadataKey.paramsSHA256] == uninterrupted.paramsSHA256)
        } else {
            let finished = try quiet(TrainingRun(config: config, outputDirectory: out, resume: true)).run()
            #expect(finished.paramsSHA256 == uninterrupted.paramsSHA256)
        }
    }
}
