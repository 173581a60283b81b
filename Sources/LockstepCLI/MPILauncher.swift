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
    private static func mpirun(ranks: Int, arguments: [String], diesWithLauncher: Bool = false) throws -> Process {
        guard let mpirun = which("mpirun") else {
            throw Failure(description: "mpirun not found on PATH (install openmpi-bin, or run launch/setup.sh)")
        }
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var environment = ProcessInfo.processInfo.environment
        environment["OMPI_MCA_pml"] = environment["OMPI_MCA_pml"] ?? "ob1"
        environment["OPENBLAS_NUM_THREADS"] = "1"
        var mpiArguments = ["-np", String(ranks), "-x", "OPENBLAS_NUM_THREADS"]
        if getuid() == 0 { mpiArguments.append("--allow-run-as-root") }
        if ranks > ProcessInfo.processInfo.activeProcessorCount { mpiArguments += ["--oversubscribe", "--bind-to", "none"] }
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
    }

    /// Runs `lockstep <arguments>` on `ranks` MPI processes with stdout and stderr passed through as
    /// they come; stderr is also scanned for the cause of a failure.
    static func runPassingThrough(ranks: Int, arguments: [String]) throws -> Outcome {
        let process = try mpirun(ranks: ranks, arguments: arguments, diesWithLauncher: true)
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        // mpirun has its own process group: a Ctrl-C at the terminal, or a SIGTERM sent to launch, reaches
        // only launch, which passes it on (mpirun forwards it to the ranks, which checkpoint and stop).
        StopSignal.forward(to: process.processIdentifier)
        defer { StopSignal.forward(to: nil) }
        var cause: String?
        var stopSignal: Int32?
        var pending = Data()
        let reader = errors.fileHandleForReading
        while true {
            let chunk = reader.availableData
            if chunk.isEmpty { break }
            FileHandle.standardError.write(chunk)
            pending.append(chunk)
            while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: pending[pending.startIndex..<newline], as: UTF8.self)
                pending.removeSubrange(pending.startIndex...newline)
                if cause == nil, line.contains("error: ") || line.contains("exited on signal") {
                    cause = line.trimmingCharacters(in: .whitespaces)
                }
                if stopSignal == nil, line.contains("interrupted by SIGTERM at step") { stopSignal = SIGTERM }
                if stopSignal == nil, line.contains("interrupted by SIGINT at step") { stopSignal = SIGINT }
            }
        }
        process.waitUntilExit()
        return Outcome(status: process.terminationStatus, cause: cause, stopSignal: stopSignal)
    }

    static func which(_ name: String) -> String? {
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let path = "\(dir)/\(name)"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return nil
    }
}
