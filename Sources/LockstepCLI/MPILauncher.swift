import Foundation

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

    /// mpirun on this executable, configured but not started.
    private static func mpirun(ranks: Int, arguments: [String]) throws -> Process {
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
        process.executableURL = URL(fileURLWithPath: mpirun)
        process.arguments = mpiArguments + [executable] + arguments
        process.environment = environment
        return process
    }

    /// How a job that passed its output through ended.
    struct Outcome {
        var status: Int32
        /// The first line of the job's stderr that says why it failed: a rank's `error: …` or
        /// mpirun's `… exited on signal …`.
        var cause: String?
    }

    /// Runs `lockstep <arguments>` on `ranks` MPI processes with stdout and stderr passed through as
    /// they come; stderr is also scanned for the cause of a failure.
    static func runPassingThrough(ranks: Int, arguments: [String]) throws -> Outcome {
        let process = try mpirun(ranks: ranks, arguments: arguments)
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        var cause: String?
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
            }
        }
        process.waitUntilExit()
        return Outcome(status: process.terminationStatus, cause: cause)
    }

    static func which(_ name: String) -> String? {
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let path = "\(dir)/\(name)"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return nil
    }
}
