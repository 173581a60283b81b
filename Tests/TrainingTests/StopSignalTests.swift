import Foundation
import Testing
import Checkpointing
import Distributed
import Training
import Config

/// Stopping on purpose (issue 9): on SIGINT or SIGTERM every rank finishes its step, rank 0 writes a
/// checkpoint, the process exits 130 or 143 with one line, and `--resume` ends with the bits of an
/// uninterrupted run.
@Suite("stop signals")
struct StopSignalTests {
    static func yaml(steps: Int) -> String {
        TT.referenceYAML(steps: steps, evalEvery: 10, logEvery: 10)
    }

    static func hash(_ directory: String) throws -> String {
        try SafetensorsArchive(contentsOf: directory + "/model.safetensors").paramsSHA256().hex
    }

    /// One rank alone is told to stop (Ctrl-C in one terminal): the vote stops all four after the same
    /// step, and the resumed run equals the uninterrupted one.
    @Test("a stop request on one simulated rank stops every rank after the same step")
    func oneRankVotes() throws {
        let config = try RunConfig(yaml: Self.yaml(steps: 12), source: "stop.yaml")
        let full = try TT.temporaryDirectory("stop-full"), part = try TT.temporaryDirectory("stop-part")
        defer { TT.remove(full); TT.remove(part) }
        try TT.quietRun(config, in: full).run()

        let stoppedAt = try SimulatedWorld.run(ranks: 4) { comm -> Int in
            let run = TrainingRun(config: config, outputDirectory: part, communicator: comm)
            run.log = { _ in }
            run.showsProgress = false
            var calls = 0
            run.stopRequest = {
                calls += 1
                return comm.rank == 2 && calls >= 5 ? SIGTERM : nil
            }
            do {
                try run.run()
                return -1
            } catch let interrupted as RunInterrupted {
                #expect(interrupted.signal == SIGTERM)
                #expect(interrupted.exitCode == 143)
                #expect(FileManager.default.fileExists(atPath: interrupted.checkpoint))
                return interrupted.step
            }
        }
        #expect(stoppedAt == [5, 5, 5, 5])
        #expect(!FileManager.default.fileExists(atPath: part + "/model.safetensors"))
        try TT.quietRun(config, in: part, resume: true).run()
        #expect(try Self.hash(part) == Self.hash(full))
    }

    @Test("SIGTERM and SIGINT to lockstep train: exit 143 / 130, one line, resume gives the same bits",
          arguments: [SIGTERM, SIGINT])
    func realSignal(_ signal: Int32) throws {
        let directory = try TT.temporaryDirectory("signal-\(signal)")
        defer { TT.remove(directory) }
        try TT.write(Self.yaml(steps: 400), to: directory + "/run.yaml")
        let train = ["train", "--config", "run.yaml", "--out", "part"]
        let stopped = try LockstepProcess.run(train, in: URL(fileURLWithPath: directory),
                                              interrupt: .init(marker: "step 10: validation", signal: signal))
        #expect(stopped.exitedNormally, "\(stopped.stderr)")
        #expect(stopped.status == 128 + signal, "\(stopped.stderr)\n\(stopped.stdout)")
        let lines = stopped.stderr.split(separator: "\n")
        #expect(lines.count == 1, "\(stopped.stderr)")
        let name = signal == SIGTERM ? "SIGTERM" : "SIGINT"
        let line = String(lines.first ?? "")
        #expect(line.hasPrefix("interrupted by \(name) at step "), "\(line)")
        #expect(line.contains("resume with: lockstep train --config run.yaml --out part --resume"), "\(line)")
        #expect(!FileManager.default.fileExists(atPath: directory + "/part/model.safetensors"))
        let checkpoints = try CheckpointDirectory(path: directory + "/part/checkpoints").checkpoints()
        #expect(checkpoints.count == 1)
        #expect((checkpoints.first?.step ?? 0) >= 10 && (checkpoints.first?.step ?? 400) < 400)

        let resumed = try LockstepProcess.run(train + ["--resume", "--quiet"], in: URL(fileURLWithPath: directory))
        #expect(resumed.status == 0, "\(resumed.stderr)")
        let full = try LockstepProcess.run(["train", "--config", "run.yaml", "--out", "full", "--quiet"], in: URL(fileURLWithPath: directory))
        #expect(full.status == 0, "\(full.stderr)")
        #expect(try Self.hash(directory + "/part") == Self.hash(directory + "/full"))
    }

    /// Slurm and a launcher may both deliver the same SIGTERM: the second must not cost the checkpoint.
    @Test("SIGTERM delivered twice still stops after a step with a checkpoint (exit 143)")
    func repeatedSIGTERM() throws {
        let directory = try TT.temporaryDirectory("signal-twice")
        defer { TT.remove(directory) }
        try TT.write(Self.yaml(steps: 400), to: directory + "/run.yaml")
        let stopped = try LockstepProcess.run(["train", "--config", "run.yaml", "--out", "part"], in: URL(fileURLWithPath: directory),
                                              interrupt: .init(marker: "step 10: validation", signal: SIGTERM, count: 2))
        #expect(stopped.status == 143, "\(stopped.stderr)")
        #expect(stopped.stderr.contains("interrupted by SIGTERM at step "), "\(stopped.stderr)")
        #expect(try CheckpointDirectory(path: directory + "/part/checkpoints").checkpoints().count == 1)
    }

    /// mpirun forwards SIGTERM to its ranks: both finish the same step, rank 0 checkpoints, each rank
    /// says so, and resuming on 2 ranks ends with the bits of an uninterrupted single-process run.
    @Test("SIGTERM to mpirun -np 2: every rank stops after the same step; resume gives the same bits",
          .enabled(if: LockstepProcess.mpirunAvailable))
    func mpirunSignal() throws {
        let directory = try TT.temporaryDirectory("signal-mpi")
        defer { TT.remove(directory) }
        try TT.write(Self.yaml(steps: 400), to: directory + "/run.yaml")
        let train = ["train", "--config", directory + "/run.yaml", "--out", directory + "/part"]
        let stopped = try LockstepProcess.mpirun(ranks: 2, train, interrupt: .init(marker: "step 10: validation", signal: SIGTERM))
        #expect(stopped.status != 0)
        let lines = stopped.stderr.split(separator: "\n").filter { $0.contains("interrupted by SIGTERM at step ") }
        #expect(lines.count == 2, "\(stopped.stderr)")
        let steps = Set(lines.compactMap { $0.split(separator: " ").drop { $0 != "step" }.dropFirst().first.map { $0.dropLast() } })
        #expect(steps.count == 1, "the ranks stopped after different steps: \(lines)")
        let checkpoints = try CheckpointDirectory(path: directory + "/part/checkpoints").checkpoints()
        #expect(checkpoints.count == 1)

        let resumed = try LockstepProcess.mpirun(ranks: 2, train + ["--resume", "--quiet"])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        let full = try LockstepProcess.run(["train", "--config", "run.yaml", "--out", "full", "--quiet"], in: URL(fileURLWithPath: directory))
        #expect(full.status == 0, "\(full.stderr)")
        #expect(try Self.hash(directory + "/part") == Self.hash(directory + "/full"))
    }
}
