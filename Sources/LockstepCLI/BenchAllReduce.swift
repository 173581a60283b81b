import ArgumentParser
import Training
import Foundation
import Distributed
import Benchmarks

struct BenchAllReduce: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "allreduce",
        abstract: "Both reduction modes, OSU/nccl-tests style: time (median, min, max), algbw and busbw per size, and an α-β fit.",
        discussion: "Starts mpirun itself for --transport mpi (the default). Under mpirun, measures mpirun's world.")

    @Option(help: "World sizes, e.g. 2,4,8 (each at least 2). Above the core count the ranks share cores.")
    var ranks = "2"

    @Option(help: "mpi (processes under mpirun) or threads (simulated ranks; their 'mpi' mode is the world's own sum).")
    var transport: Transport = .mpi

    @Option(help: "Network model: real, 1gbit, 10gbit, 25gbit, 100gbit or LAT_US,GBPS. Repeat for several.")
    var network: [String] = []

    @Option(help: "Smallest message in bytes (sizes grow by 4×).")
    var minBytes = 4096

    @Option(help: "Largest message in bytes.")
    var maxBytes = 64 << 20

    @Option(help: "Seconds of timed repetitions per case (at least 5 repetitions).")
    var secondsPerCase = 0.25

    @OptionGroup var output: BenchOutputOptions

    @Flag(help: .hidden)
    var worker = false

    func validate() throws {
        _ = try parseRanks(ranks, minimum: 2)
        for spec in network { _ = try parseNetwork(spec) }
        guard minBytes >= 4, minBytes % 4 == 0 else { throw BenchmarkError("--min-bytes must be a positive multiple of 4, got \(minBytes)") }
        guard maxBytes >= minBytes else { throw BenchmarkError("--max-bytes (\(maxBytes)) must be at least --min-bytes (\(minBytes))") }
        guard secondsPerCase > 0 else { throw BenchmarkError("--seconds-per-case must be positive") }
        try output.check()
    }

    private var networks: [String] { network.isEmpty ? ["real"] : network }

    func run() throws {
        if World.isMPILaunch {
            // One world: mpirun's. A worker hands its result to the parent; a direct launch prints it.
            let model = try parseNetwork(networks[0])
            let benchmark = settings
            let run = try World.run(ranks: nil) { comm in
                let rows = try benchmark(shaped(comm, model), comm).run()
                return try AllReduceRun(rows: rows, backend: "mpi", network: model)
            }
            guard let run else { return }
            if worker { print(workerResultPrefix + (try ReportFiles.compactJSON(run))) } else { run.lines.forEach { print($0) } }
            return
        }
        var runs: [AllReduceRun] = []
        for w in try parseRanks(ranks, minimum: 2) {
            for spec in networks {
                let run: AllReduceRun
                switch transport {
                case .mpi:
                    run = try runWorker(AllReduceRun.self, ranks: w, arguments: workerArguments(network: spec))
                case .threads:
                    let model = try parseNetwork(spec)
                    let benchmark = settings
                    run = try World.run(ranks: w) { comm in
                        try AllReduceRun(rows: try benchmark(shaped(comm, model), comm).run(), backend: "threads", network: model)
                    }!
                }
                run.lines.forEach { print($0) }
                runs.append(run)
            }
        }
        let report = AllReduceReport(command: "lockstep " + CommandLine.arguments.dropFirst().joined(separator: " "), runs: runs)
        if let csv = output.csv { try ReportFiles.write(report.csv, to: csv) }
        if let json = output.json { try ReportFiles.write(try ReportFiles.json(report), to: json) }
        if let plotDir = output.plotDir { try AllReduceCharts.write(report, into: plotDir).forEach { print("# wrote \($0)") } }
    }

    private func workerArguments(network spec: String) -> [String] {
        ["bench", "allreduce", "--worker", "--network", spec, "--min-bytes", String(minBytes),
         "--max-bytes", String(maxBytes), "--seconds-per-case", String(secondsPerCase)]
    }

    /// The benchmark with this command's sizes and budget, for a (possibly shaped) communicator.
    private var settings: @Sendable (Communicator, Communicator) -> AllReduceBenchmark {
        let (minBytes, maxBytes, secondsPerCase) = (self.minBytes, self.maxBytes, self.secondsPerCase)
        return { comm, control in
            var b = AllReduceBenchmark(communicator: comm, control: control)
            b.sizes = AllReduceBenchmark.sizes(from: minBytes, to: maxBytes)
            b.secondsPerCase = secondsPerCase
            return b
        }
    }
}
