import Foundation
import Training

/// Starts this same executable under `mpirun` (for benchmarks that need real processes), with what
/// these machines need — the same settings as `launch/mpirun.sh`: run-as-root permission,
/// `OMPI_MCA_pml=ob1`, one BLAS thread per rank, `--oversubscribe` past the core count.
enum MPILauncher {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Runs `lockstep <arguments>` on `ranks` MPI processes and returns what they printed on stdout;
    /// their stderr passes through. Throws when mpirun is missing or the job fails.
    static func run(ranks: Int, arguments: [String]) throws -> String {
        let process = try mpirun(ranks: ranks, arguments: arguments)
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Failure(description: "mpirun -np \(ranks) lockstep \(arguments.joined(separator: " ")) exited with status \(process.terminationStatus)")
        }
        return String(decoding: data, as: UTF8.self)
    }

    /// mpirun on this executable, configured but not started. With `diesWithLauncher`, and where
    /// util-linux's `setpriv` is installed, mpirun gets SIGTERM when this process dies (`--pdeathsig`,
    /// `prctl(PR_SET_PDEATHSIG)`): a launcher killed with SIGKILL, which it cannot pass on, leaves no
    /// orphaned job; the ranks stop as on any SIGTERM, after a checkpoint.
    private static func mpirun(ranks: Int, arguments: [String], mpirunArguments: [String] = [], diesWithLauncher: Bool = false) throws -> Process {
        guard let mpirun = which("mpirun") else {
            throw Failure(description: "mpirun not found on PATH (install openmpi-bin, or run launch/setup.sh)")
        }
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var environment = ProcessInfo.processInfo.environment
        environment["OMPI_MCA_pml"] = environment["OMPI_MCA_pml"] ?? "ob1"
        environment["OPENBLAS_NUM_THREADS"] = "1"
        var mpiArguments = ["-np", String(ranks), "-x", "OPENBLAS_NUM_THREADS"]
        if getuid() == 0 { mpiArguments.append("--allow-run-as-root") }
        // With a hostfile the slots come from it; on this machine alone the OS shares the cores.
        let hostfileGiven = mpirunArguments.contains { $0 == "--hostfile" || $0 == "-hostfile" || $0 == "--machinefile" }
        if !hostfileGiven && ranks > ProcessInfo.processInfo.activeProcessorCount { mpiArguments += ["--oversubscribe", "--bind-to", "none"] }
        mpiArguments += mpirunArguments
        let process = Process()
        if diesWithLauncher, let setpriv = which("setpriv") {
            // setpriv execs mpirun in its own process: the pid launch forwards signals to is mpirun's.
            process.executableURL = URL(fileURLWithPath: setpriv)
            process.arguments = ["--pdeathsig", "TERM", "--", mpirun] + mpiArguments + [executable] + arguments
        } else {
            process.executableURL = URL(fileURLWithPath: mpirun)
            process.arguments = mpiArguments + [executable] + arguments
        }
        process.environment = environment
        return process
    }

    /// How a job that passed its output through ended.
    struct Outcome {
        var status: Int32
        /// The first line of the job's stderr that says why it failed: a rank's `error: …` or
        /// mpirun's `… exited on signal …`.
        var cause: String?
        /// The signal a rank said it stopped on (`interrupted by SIGTERM at step N; …`): the ranks
        /// stopped on purpose, after a checkpoint, rather than failed.
        var stopSignal: Int32?
        /// Hosts whose daemon mpirun said it lost (`Remote daemon: … on node HOST`).
        var lostDaemons: Set<String> = []
    }

    /// Runs `lockstep <arguments>` on `ranks` MPI processes with stdout and stderr passed through as
    /// they come; stderr is also scanned for the cause of a failure, which starts `guardian`'s clock
    /// (`JobGuard`: mpirun that outlives a failure is killed).
    static func runPassingThrough(ranks: Int, arguments: [String], mpirunArguments: [String] = [],
                                  guardian: JobGuard) throws -> Outcome {
        let process = try mpirun(ranks: ranks, arguments: arguments, mpirunArguments: mpirunArguments, diesWithLauncher: true)
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        // mpirun has its own process group: a Ctrl-C at the terminal, or a SIGTERM sent to launch, reaches
        // only launch, which passes it on (mpirun forwards it to the ranks, which checkpoint and stop).
        StopSignal.forward(to: process.processIdentifier)
        defer { StopSignal.forward(to: nil) }
        let scan = StderrScan(guardian: guardian)
        let reader = Thread { scan.read(errors.fileHandleForReading) }
        reader.name = "mpirun stderr"
        reader.start()
        guardian.watch(process)
        // A daemon left on a lost host may hold the pipe open: the output is not waited for past 2 s.
        _ = scan.finished.wait(timeout: .now() + 2)
        var outcome = scan.outcome(status: process.terminationStatus)
        if process.terminationReason == .uncaughtSignal { outcome.status = 128 + process.terminationStatus }
        return outcome
    }

    /// What mpirun's stderr said, read on a thread of its own (under `lock`).
    private final class StderrScan: @unchecked Sendable {
        let guardian: JobGuard
        let finished = DispatchSemaphore(value: 0)
        private let lock = NSLock()
        private var cause: String?
        private var stopSignal: Int32?
        private var lostDaemons: Set<String> = []

        init(guardian: JobGuard) { self.guardian = guardian }

        func outcome(status: Int32) -> Outcome {
            lock.withLock { Outcome(status: status, cause: cause, stopSignal: stopSignal, lostDaemons: lostDaemons) }
        }

        func read(_ reader: FileHandle) {
            var pending = Data()
            while true {
                let chunk = reader.availableData
                if chunk.isEmpty { break }
                FileHandle.standardError.write(chunk)
                pending.append(chunk)
                while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                    let line = String(decoding: pending[pending.startIndex..<newline], as: UTF8.self)
                    pending.removeSubrange(pending.startIndex...newline)
                    scan(line)
                }
            }
            finished.signal()
        }

        private func scan(_ line: String) {
            let failure = line.contains("error: ") || line.contains("exited on signal")
            lock.withLock {
                if cause == nil, failure { cause = line.trimmingCharacters(in: .whitespaces) }
                if stopSignal == nil, line.contains("interrupted by SIGTERM at step") { stopSignal = SIGTERM }
                if stopSignal == nil, line.contains("interrupted by SIGINT at step") { stopSignal = SIGINT }
                if line.contains("Remote daemon:"), let range = line.range(of: " on node ") {
                    let host = line[range.upperBound...].trimmingCharacters(in: .whitespaces)
                    if !host.isEmpty { lostDaemons.insert(host) }
                    if cause == nil { cause = "mpirun lost its daemon on \(host)" }
                }
            }
            // mpirun's own failure banners start the clock too: it should end on its own shortly after.
            if failure || line.contains("MPI_ABORT was invoked") || line.contains("lost communication with a remote daemon") {
                guardian.failureReported()
            }
        }
    }

    static func which(_ name: String) -> String? {
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let path = "\(dir)/\(name)"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return nil
    }
}
