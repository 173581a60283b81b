import Foundation
import Testing

/// Issue 23, item 10: ranks end with their launcher. mpirun killed with SIGKILL cannot stop its
/// ranks; before the parent-death signal they trained on for 1.5–3 s, writing checkpoints beside a
/// run that was resuming from them.
@Suite("ranks stop when their launcher is killed", .serialized)
struct LauncherDeathTests {
    /// Processes whose parent is `parent` (from /proc), with their state letter.
    static func children(of parent: pid_t) -> [(pid: pid_t, state: Character)] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { name -> (pid_t, Character)? in
            guard let pid = pid_t(name), let stat = try? String(contentsOfFile: "/proc/\(name)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { return nil }
            let fields = stat[stat.index(close, offsetBy: 2)...].split(separator: " ")
            guard fields.count > 1, pid_t(fields[1]) == parent, let state = fields[0].first else { return nil }
            return (pid, state)
        }
    }

    /// Whether `pid` has exited (gone, or a zombie waiting to be reaped).
    static func hasEnded(_ pid: pid_t) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), let close = stat.lastIndex(of: ")") else { return true }
        return stat[stat.index(close, offsetBy: 2)] == "Z"
    }

    @Test("SIGKILL to mpirun ends every rank at once", .enabled(if: LockstepProcess.mpirunAvailable))
    func ranksDieWithMpirun() throws {
        let dir = try TT.temporaryDirectory("launcher-death")
        defer { TT.remove(dir) }
        var args = ["mpirun", "-np", "2", "-x", "OPENBLAS_NUM_THREADS", "--oversubscribe", "--bind-to", "none"]
        if getuid() == 0 { args.append("--allow-run-as-root") }
        args += [LockstepProcess.binary.path, "train", "--config", TT.shippedConfig("clinical-mlp.yaml"), "--out", dir + "/run",
                 "--quiet", "--set", "train.steps=1000000", "--set", "output.checkpoint_every=20"]
        let mpirun = Process()
        mpirun.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        mpirun.arguments = args
        mpirun.currentDirectoryURL = LockstepProcess.repositoryRoot
        var environment = ProcessInfo.processInfo.environment
        environment["OMPI_MCA_pml"] = "ob1"
        environment["OPENBLAS_NUM_THREADS"] = "1"
        mpirun.environment = environment
        mpirun.standardInput = FileHandle.nullDevice
        mpirun.standardOutput = FileHandle.nullDevice
        mpirun.standardError = FileHandle.nullDevice
        try mpirun.run()
        // Wait until both ranks train (a checkpoint exists), at most two minutes.
        var ranks: [pid_t] = []
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline && mpirun.isRunning {
            ranks = Self.children(of: mpirun.processIdentifier).map(\.pid)
            if ranks.count == 2 && FileManager.default.fileExists(atPath: dir + "/run/checkpoints/latest") { break }
            Thread.sleep(forTimeInterval: 0.05)
        }
        try #require(ranks.count == 2 && mpirun.isRunning, "the job did not start training")
        kill(mpirun.processIdentifier, SIGKILL)
        let killed = Date()
        mpirun.waitUntilExit()
        while Date().timeIntervalSince(killed) < 1.0 && !ranks.allSatisfy(Self.hasEnded) { Thread.sleep(forTimeInterval: 0.01) }
        let survivors = ranks.filter { !Self.hasEnded($0) }
        #expect(survivors.isEmpty, "ranks \(survivors) still ran 1 s after mpirun was killed")
        for pid in survivors { kill(pid, SIGKILL) }   // leave nothing behind either way
    }
}
