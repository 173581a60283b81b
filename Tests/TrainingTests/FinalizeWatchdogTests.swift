import Foundation
import Testing

/// Issue 23, item 7: a frozen process of the job (here mpirun itself, stopped with SIGSTOP once the
/// ranks train: the local ranks' daemon, as orted is on a remote node) kept a finished run in
/// `MPI_Finalize` forever. The watchdog now bounds finalize by `--timeout`: each rank says so in one
/// line and exits, its outputs written.
@Suite("MPI_Finalize under a frozen daemon", .enabled(if: LockstepProcess.mpirunAvailable))
struct FinalizeWatchdogTests {
    @Test("mpirun stopped while the ranks train: they finish, write the model, and leave finalize after --timeout")
    func frozenDaemonDoesNotHangFinalize() throws {
        let directory = try LaunchSignalTests.workspace("finalize")
        defer { TT.remove(directory) }
        let out = directory + "/out"
        let stderr = directory + "/stderr"
        FileManager.default.createFile(atPath: stderr, contents: nil)
        var arguments = ["-np", "2", "-x", "OPENBLAS_NUM_THREADS", "--oversubscribe", "--bind-to", "none"]
        if getuid() == 0 { arguments.append("--allow-run-as-root") }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["mpirun"] + arguments + [LockstepProcess.binary.path, "train", "--config", "run.yaml", "--out", out,
                                                       "--quiet", "--timeout", "3", "--set", "train.steps=400"]
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        var environment = ProcessInfo.processInfo.environment
        environment["OMPI_MCA_pml"] = "ob1"
        environment["OPENBLAS_NUM_THREADS"] = "1"
        process.environment = environment
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: stderr))
        try process.run()
        defer { if process.isRunning { kill(process.processIdentifier, SIGCONT); process.terminate() } }

        // mpirun (through env, which execs it) is frozen once rank 0 has begun its metrics: MPI is up,
        // and from here the ranks need it only in finalize.
        var deadline = Date().addingTimeInterval(60)
        while !FileManager.default.fileExists(atPath: out + "/metrics.jsonl") && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        #expect(kill(process.processIdentifier, SIGSTOP) == 0)
        let ranks = { LaunchSignalTests.processes(mentioning: out).filter { $0.arguments.first?.hasSuffix("/lockstep") == true } }
        deadline = Date().addingTimeInterval(90)
        while !ranks().isEmpty && Date() < deadline { Thread.sleep(forTimeInterval: 0.2) }
        let left = ranks()
        kill(process.processIdentifier, SIGCONT)
        process.waitUntilExit()
        #expect(left.isEmpty, "ranks still in MPI_Finalize 90 s after mpirun froze: \(left.map(\.pid))")
        #expect(FileManager.default.fileExists(atPath: out + "/model.safetensors"))
        let lines = ((try? String(contentsOfFile: stderr, encoding: .utf8)) ?? "").split(separator: "\n")
            .filter { $0.hasPrefix("error: rank ") }
        #expect(lines.count == 2 && lines.allSatisfy { $0.contains("MPI_Finalize has not returned") }, "\(lines)")
        #expect(process.terminationStatus != 0)
    }
}
