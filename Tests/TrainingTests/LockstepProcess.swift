import Foundation

/// Runs the built `lockstep` executable (or mpirun on it) as a child process, output to files, as the
/// architecture guide asks for MPI tests: MPI is never initialised inside the test process.
enum LockstepProcess {
    struct Outcome {
        let status: Int32
        let stdout: String
        let stderr: String
        let seconds: Double
        var timedOut: Bool
        /// False when the process ended on a signal (a crash) rather than by exiting.
        var exitedNormally: Bool
    }

    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// `lockstep` next to the running test bundle (`.build/debug`, or `.build-NAME/debug` with
    /// `--scratch-path`; `swift build --build-tests` builds both), else in the repository's `.build/debug`.
    static let binary: URL = {
        var directories: [URL] = []
        let me = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        if FileManager.default.fileExists(atPath: me.path) { directories.append(me.deletingLastPathComponent()) }
        if let first = CommandLine.arguments.first {
            directories.append(URL(fileURLWithPath: first).resolvingSymlinksInPath().deletingLastPathComponent())
        }
        for directory in directories {
            var d = directory
            for _ in 0..<4 {
                let candidate = d.appendingPathComponent("lockstep")
                if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
                d = d.deletingLastPathComponent()
            }
        }
        return repositoryRoot.appendingPathComponent(".build/debug/lockstep")
    }()

    static var mpirunAvailable: Bool {
        (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":")
            .contains { FileManager.default.isExecutableFile(atPath: "\($0)/mpirun") }
    }

    /// `lockstep <arguments>` in `directory` (the repository root by default).
    static func run(_ arguments: [String], in directory: URL = repositoryRoot, timeout: Double = 120,
                    interrupt: Interrupt? = nil) throws -> Outcome {
        try spawn(binary.path, arguments, in: directory, timeout: timeout, interrupt: interrupt)
    }

    /// A signal sent to the process once its standard output contains `marker`.
    struct Interrupt {
        var marker: String
        var signal: Int32
        /// How many times the signal is sent (a scheduler may deliver the same SIGTERM twice).
        var count = 1
    }

    /// `mpirun -np <ranks> lockstep <arguments>`, with this machine's settings (as launch/mpirun.sh).
    static func mpirun(ranks: Int, _ arguments: [String], timeout: Double = 120, interrupt: Interrupt? = nil) throws -> Outcome {
        var args = ["-np", String(ranks), "-x", "OPENBLAS_NUM_THREADS", "--oversubscribe", "--bind-to", "none"]
        if getuid() == 0 { args.append("--allow-run-as-root") }
        return try spawn("/usr/bin/env", ["mpirun"] + args + [binary.path] + arguments, in: repositoryRoot, timeout: timeout,
                         interrupt: interrupt)
    }

    private static func spawn(_ executable: String, _ arguments: [String], in directory: URL, timeout: Double,
                              interrupt: Interrupt? = nil) throws -> Outcome {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("lockstep-proc-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("stdout"), err = dir.appendingPathComponent("stderr")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        _ = FileManager.default.createFile(atPath: err.path, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = directory
        process.standardInput = FileHandle.nullDevice
        var environment = ProcessInfo.processInfo.environment
        environment["OMPI_MCA_pml"] = "ob1"
        environment["OPENBLAS_NUM_THREADS"] = "1"
        process.environment = environment
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        let start = Date()
        if interrupt != nil {
            // The child inherits this thread's signal mask, and the test runner may block SIGINT and
            // SIGTERM: a child that is to be signalled (mpirun, which does not unblock them) must not.
            var signals = sigset_t()
            sigemptyset(&signals)
            sigaddset(&signals, SIGINT)
            sigaddset(&signals, SIGTERM)
            pthread_sigmask(SIG_UNBLOCK, &signals, nil)
        }
        try process.run()
        var timedOut = false
        var pendingInterrupt = interrupt
        while process.isRunning {
            if let pending = pendingInterrupt,
               let text = try? String(contentsOf: out, encoding: .utf8), text.contains(pending.marker) {
                for _ in 0..<pending.count { kill(process.processIdentifier, pending.signal) }
                pendingInterrupt = nil
            }
            if Date().timeIntervalSince(start) > timeout {
                timedOut = true
                process.terminate()
                Thread.sleep(forTimeInterval: 1)
                if process.isRunning { kill(process.processIdentifier, SIGKILL) }
                break
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
        process.waitUntilExit()
        return Outcome(status: process.terminationStatus,
                       stdout: (try? String(contentsOf: out, encoding: .utf8)) ?? "",
                       stderr: (try? String(contentsOf: err, encoding: .utf8)) ?? "",
                       seconds: Date().timeIntervalSince(start), timedOut: timedOut,
                       exitedNormally: process.terminationReason == .exit)
    }
}
