import Foundation
import Testing

/// Issue 23, item 6: `lockstep launch` and signals. A SIGTERM to launch reaches the job (mpirun has
/// its own process group, so nothing else passes it on) and leaves no process behind; a stop every
/// rank reports (130/143) is not restarted; an error every rank sees (a bad config) is said once and
/// not retried. Each case would run for minutes, or restart, without its fix: the time limit and the
/// absence of a `restarting` line are the assertions.
@Suite("lockstep launch: signals and errors that must not restart", .serialized, .enabled(if: LockstepProcess.mpirunAvailable))
struct LaunchSignalTests {
    /// A long run (100,000 steps) of a small model that logs every 50 steps.
    static func workspace(_ label: String) throws -> String {
        let directory = try TT.temporaryDirectory("launch-\(label)")
        try TT.write("""
            seed: 7
            model:
              input: 20
              layers:
                - {name: layer1, type: linear, out: 16}
                - {type: relu}
                - {name: layer2, type: linear, out: 1}
            data: {source: synthetic-clinical, samples: 1000, validation_fraction: 0.2, shuffle: true, standardize: true}
            loss: bce_with_logits
            batch: {global: 64, micro: 16}
            optimizer: {type: sgd, lr: 0.1}
            train: {steps: 100000, eval_every: 0, log_every: 50}
            output: {dir: out}

            """, to: directory + "/run.yaml")
        return directory
    }

    /// Processes whose command line mentions `text` (the test's own folder), other than this one.
    static func processes(mentioning text: String) -> [(pid: Int32, arguments: [String])] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { entry -> (Int32, [String])? in
            guard let pid = Int32(entry), pid != getpid(),
                  let data = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline") else { return nil }
            let arguments = data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            return arguments.contains(where: { $0.contains(text) }) ? (pid, arguments) : nil
        }
    }

    /// Waits up to `seconds` for no process to mention `text`; true when none is left.
    static func noneLeft(mentioning text: String, within seconds: Double = 15) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if processes(mentioning: text).isEmpty { return true }
            Thread.sleep(forTimeInterval: 0.2)
        }
        return processes(mentioning: text).isEmpty
    }

    @Test("SIGTERM to launch is passed to mpirun: every rank checkpoints and stops, launch exits 143, nothing is left")
    func sigtermIsForwarded() throws {
        let directory = try Self.workspace("sigterm")
        defer { TT.remove(directory) }
        let out = directory + "/out"
        let launched = try LockstepProcess.run(["launch", "--np", "2", "--max-restarts", "1", "--", "train", "--config", "run.yaml",
                                                "--out", out], in: URL(fileURLWithPath: directory), timeout: 90,
                                               interrupt: .init(marker: "/100000", signal: SIGTERM))
        #expect(!launched.timedOut, "the job ran on after launch got SIGTERM")
        #expect(launched.status == 143, "\(launched.stderr)")
        #expect(launched.stderr.contains("rank 0: interrupted by SIGTERM at step"), "\(launched.stderr)")
        #expect(!launched.stderr.contains("restarting"), "\(launched.stderr)")
        #expect(Self.noneLeft(mentioning: out), "\(Self.processes(mentioning: out).map(\.arguments))")
        #expect(FileManager.default.fileExists(atPath: out + "/checkpoints/latest"))
    }

    @Test("a SIGTERM sent to the ranks themselves (a clean stop, 143) is not restarted")
    func cleanStopOfEveryRankIsNotRestarted() throws {
        let directory = try Self.workspace("rank-stop")
        defer { TT.remove(directory) }
        let out = directory + "/out"
        let stdout = directory + "/stdout", stderr = directory + "/stderr"
        FileManager.default.createFile(atPath: stdout, contents: nil)
        FileManager.default.createFile(atPath: stderr, contents: nil)
        let process = Process()
        process.executableURL = LockstepProcess.binary
        process.arguments = ["launch", "--np", "2", "--max-restarts", "1", "--", "train", "--config", "run.yaml", "--out", out]
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        var environment = ProcessInfo.processInfo.environment
        environment["OMPI_MCA_pml"] = "ob1"
        process.environment = environment
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: stdout))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: stderr))
        try process.run()
        let deadline = Date().addingTimeInterval(90)
        var signalled = false
        while process.isRunning && Date() < deadline {
            if !signalled, ((try? String(contentsOfFile: stdout, encoding: .utf8)) ?? "").contains("/100000") {
                // The ranks: `lockstep train …` started by mpirun (not launch, not mpirun itself).
                let ranks = Self.processes(mentioning: out).filter { $0.arguments.count > 1 && $0.arguments[0].hasSuffix("/lockstep") && $0.arguments[1] == "train" }
                #expect(ranks.count == 2, "\(ranks.map(\.arguments))")
                for rank in ranks { kill(rank.pid, SIGTERM) }
                signalled = true
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
        if process.isRunning { kill(process.processIdentifier, SIGTERM) }
        process.waitUntilExit()
        let errors = (try? String(contentsOfFile: stderr, encoding: .utf8)) ?? ""
        #expect(signalled && Date() < deadline, "the job ran on, or was restarted: \(errors)")
        #expect(process.terminationStatus == 143, "\(errors)")
        #expect(errors.contains("interrupted by SIGTERM at step") && !errors.contains("restarting"), "\(errors)")
        #expect(Self.noneLeft(mentioning: out))
    }

    @Test("a bad config under launch --max-restarts 3 is said once and not retried")
    func errorEveryRankSeesIsNotRetried() throws {
        let directory = try Self.workspace("bad-config")
        defer { TT.remove(directory) }
        let launched = try LockstepProcess.run(["launch", "--np", "2", "--max-restarts", "3", "--", "train", "--config", "run.yaml",
                                                "--out", directory + "/out", "--set", "train.steps=-3"],
                                               in: URL(fileURLWithPath: directory), timeout: 90)
        #expect(launched.exitedNormally && launched.status != 0 && !launched.timedOut)
        let errors = launched.stderr.split(separator: "\n").filter { $0.hasPrefix("Error: ") }
        #expect(errors == ["Error: run.yaml: train.steps: expected a positive integer, got -3 (from --set train.steps=-3)"], "\(launched.stderr)")
        #expect(!launched.stderr.contains("restarting") && !launched.stderr.contains("restarts exhausted"), "\(launched.stderr)")
    }
}
