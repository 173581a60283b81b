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

    static func which(_ name: String) -> String? {
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let path = "\(dir)/\(name)"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return nil
    }
}
