import Foundation
import Testing
import Checkpointing
import Training
import Config

/// Training that survives losing a rank (issue 9): a failed rank ends its world, the run restarts from
/// the newest checkpoint on the ranks that are left, and — the bits not depending on the world size —
/// ends with the parameters of an uninterrupted run. Restarts, their causes and each segment's world
/// size are recorded in metrics.jsonl and summary.json.
@Suite("elastic restarts")
struct ElasticTests {
    /// n = 12 micro-batches per step (global 384, micro 32): 4 ranks, then 3 after a loss.
    static func yaml() -> String {
        TT.referenceYAML(samples: 2400, steps: 12, global: 384, micro: 32, evalEvery: 0, logEvery: 1, checkpointEvery: 4)
    }

    static func workspace(_ label: String) throws -> String {
        let directory = try TT.temporaryDirectory("elastic-\(label)")
        try TT.write(yaml(), to: directory + "/run.yaml")
        return directory
    }

    static func hash(_ directory: String) throws -> String {
        try SafetensorsArchive(contentsOf: directory + "/model.safetensors").paramsSHA256().hex
    }

    /// Checks the run folder of a run that was restarted once after `step` 6 on 4 ranks.
    static func expectRestartedOnce(_ out: String, uninterrupted: String, cause: String,
                                    sourceLocation: SourceLocation = #_sourceLocation) throws {
        #expect(try hash(out) == hash(uninterrupted), "the restarted run's parameters differ", sourceLocation: sourceLocation)
        let summary = try JSONDecoder().decode(RunSummary.self, from: Data(contentsOf: URL(fileURLWithPath: out + "/summary.json")))
        #expect(summary.restarts == 1, sourceLocation: sourceLocation)
        #expect(summary.segments.map(\.worldSize) == [4, 3], sourceLocation: sourceLocation)
        #expect(summary.segments.map(\.startStep) == [0, 4], sourceLocation: sourceLocation)
        #expect(summary.segments.last?.cause?.contains(cause) == true, "\(summary.segments)", sourceLocation: sourceLocation)
        // Records after the checkpoint the restart resumed from were written again: none twice.
        let steps = try MetricsLog.read(out + "/metrics.jsonl").compactMap { record -> Int? in
            if case .train(let logged) = record.event { logged.step } else { nil }
        }
        #expect(steps == Array(1...12), "train records: \(steps)", sourceLocation: sourceLocation)
    }

    @Test("--ranks 4 --max-restarts 2: a rank throws at step 6; the run finishes on 3 ranks with the uninterrupted bits")
    func simulated() throws {
        let directory = try Self.workspace("sim")
        defer { TT.remove(directory) }
        let full = try CLI.run(["train", "--config", "run.yaml", "--out", "full", "--quiet"], in: directory)
        #expect(full.status == 0, "\(full.stderr)")
        let result = try CLI.run(["train", "--config", "run.yaml", "--out", "out", "--quiet", "--ranks", "4",
                                  "--max-restarts", "2", "--inject-fault", "throw:2:6"], in: directory)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.errorLines.count == 1 && result.errorLines[0].contains("restarting from the newest checkpoint on 3 ranks"),
                "\(result.stderr)")
        try Self.expectRestartedOnce(directory + "/out", uninterrupted: directory + "/full", cause: "injected fault after step 6")
    }

    @Test("lockstep launch --np 4 --max-restarts 1: a rank is killed at step 6; mpirun restarts on 3 ranks, same bits",
          .enabled(if: LockstepProcess.mpirunAvailable))
    func mpirun() throws {
        let directory = try Self.workspace("mpi")
        defer { TT.remove(directory) }
        let full = try CLI.run(["train", "--config", "run.yaml", "--out", "full", "--quiet"], in: directory)
        #expect(full.status == 0, "\(full.stderr)")
        let result = try CLI.run(["launch", "--np", "4", "--max-restarts", "1", "--", "train", "--config", "run.yaml",
                                  "--out", "out", "--quiet", "--inject-fault", "kill:2:6"], in: directory)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("restarting from the newest checkpoint on 3 ranks"), "\(result.stderr)")
        try Self.expectRestartedOnce(directory + "/out", uninterrupted: directory + "/full", cause: "exited on signal 9")
    }

    @Test("no restart left: the failure is reported in one line and the exit is non-zero")
    func exhausted() throws {
        let directory = try Self.workspace("exhausted")
        defer { TT.remove(directory) }
        let result = try CLI.run(["train", "--config", "run.yaml", "--out", "out", "--quiet", "--ranks", "4",
                                  "--max-restarts", "1", "--min-ranks", "4", "--inject-fault", "throw:1:2"], in: directory)
        #expect(result.exitedNormally)
        #expect(result.status != 0)
        #expect(result.errorLines.count == 1, "\(result.stderr)")
        #expect(result.errorLines.first?.contains("injected fault after step 2") == true, "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: directory + "/out/model.safetensors"))
    }
}
