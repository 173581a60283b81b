import ArgumentParser
import Training
import Foundation
import Distributed
import Config
import Benchmarks

struct BenchScaling: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scaling",
        abstract: "Weak or strong scaling: step time, samples/s, efficiency and a measured step breakdown per rank count.",
        discussion: "Efficiency: weak T₁/T_W, strong T₁/(W·T_W). Points with more ranks than cores are marked oversubscribed.")

    @Option(help: "weak (fixed batch per rank) or strong (fixed global batch).")
    var mode: ScalingReport.Mode = .weak

    @Option(help: "Rank counts, e.g. 1,2,4,8 (include 1 for efficiencies).")
    var ranks = "1,2"

    @Option(help: "wide-mlp, clinical-mlp, or a config file.")
    var model = "wide-mlp"

    @Option(help: "Network model: real, 1gbit, 10gbit, 25gbit, 100gbit or LAT_US,GBPS.")
    var network = "real"

    @Option(help: "Reduction mode (deterministic or mpi).")
    var reduction = "deterministic"

    @Option(help: "mpi (processes under mpirun) or threads (simulated ranks).")
    var transport: Transport = .mpi

    @OptionGroup var execution: ExecutionOptions

    @Option(help: "Samples per rank per step (weak scaling).")
    var perRankBatch = 256

    @Option(help: "Samples per step over all ranks (strong scaling; default: per-rank batch × the largest rank count).")
    var globalBatch: Int?

    @Option(help: "Timed steps per point (after 2 warm-up steps); the median step is reported.")
    var steps = 12

    @Option(help: "Which timed step stands for a point: median, or fastest (least disturbed on a shared machine).")
    var stepStatistic: StepStatistic = .median

    @Option(help: "Repeat the whole sweep this many times; efficiencies are taken within a repetition, then the median.")
    var repetitions = 1

    @OptionGroup var output: BenchOutputOptions

    @Flag(help: .hidden)
    var worker = false

    @Option(help: .hidden)
    var workerMicro = 0

    func validate() throws {
        let list = try parseRanks(ranks)
        _ = try parseNetwork(network)
        guard ReductionMode(rawValue: reduction) != nil else { throw BenchmarkError("--reduction must be deterministic or mpi, got '\(reduction)'") }
        guard perRankBatch >= 1 else { throw BenchmarkError("--per-rank-batch must be positive") }
        guard steps >= 1, repetitions >= 1 else { throw BenchmarkError("--steps and --repetitions must be positive") }
        if mode == .strong {
            let global = globalBatch ?? perRankBatch * list.max()!
            if let w = list.first(where: { global % $0 != 0 }) {
                throw BenchmarkError("strong scaling: the global batch \(global) does not split evenly over \(w) ranks")
            }
        }
        try output.check()
        try execution.check(reduction: reduction)
    }

    /// The config of `--model`: a built-in name or a file, with `overrides` (`--set` syntax).
    static func config(model: String, reduction: String, overrides: [String] = []) throws -> RunConfig {
        let path = ["wide-mlp": "configs/wide-mlp.yaml", "clinical-mlp": "configs/clinical-mlp.yaml"][model] ?? model
        return try RunConfig.load(path: path, overrides: ["distributed.reduction=\(reduction)"] + overrides)
    }

    func run() throws {
        let config = try Self.config(model: model, reduction: reduction, overrides: execution.overrides)
        let net = try parseNetwork(network)
        if World.isMPILaunch || worker {
            var benchmark = ScalingBenchmark(config: config, perRankBatch: workerMicro > 0 ? workerMicro : perRankBatch)
            benchmark.timedSteps = steps
            benchmark.statistic = stepStatistic
            let measured = try World.run(ranks: nil) { [benchmark] comm in
                (try benchmark.measure(communicator: shaped(comm, net), control: comm), comm.worldSize)
            }
            guard let (breakdown, w) = measured else { return }   // not rank 0
            if worker {
                print(workerResultPrefix + (try ReportFiles.compactJSON(breakdown)))
            } else {
                // Started by hand under mpirun: this one world, no efficiency (no W = 1 run to compare with).
                let point = ScalingPoint(ranks: w, repetition: 0, globalBatch: benchmark.perRankBatch * w, breakdown: breakdown)
                var report = ScalingReport(command: "lockstep " + CommandLine.arguments.dropFirst().joined(separator: " "), mode: mode,
                                           model: model, network: net?.name ?? "real", reduction: reduction, transport: "mpi",
                                           stepStatistic: stepStatistic, points: [point])
                report.execution = execution.name
                report.lines.forEach { print($0) }
            }
            return
        }
        let list = try parseRanks(ranks)
        let global = globalBatch ?? perRankBatch * list.max()!
        var points: [ScalingPoint] = []
        for repetition in 0..<repetitions {
            for w in list {
                let micro = mode == .weak ? perRankBatch : global / w
                let breakdown: StepBreakdown
                switch transport {
                case .mpi:
                    breakdown = try runWorker(StepBreakdown.self, ranks: w, arguments: [
                        "bench", "scaling", "--worker", "--model", model, "--network", network, "--reduction", reduction,
                        "--steps", String(steps), "--step-statistic", stepStatistic.rawValue, "--worker-micro", String(micro)]
                        + execution.arguments)
                case .threads:
                    var benchmark = ScalingBenchmark(config: config, perRankBatch: micro)
                    benchmark.timedSteps = steps
                    benchmark.statistic = stepStatistic
                    breakdown = try World.run(ranks: w) { [benchmark] comm in try benchmark.measure(communicator: shaped(comm, net), control: comm) }!
                }
                points.append(ScalingPoint(ranks: w, repetition: repetition, globalBatch: micro * w, breakdown: breakdown))
            }
        }
        var report = ScalingReport(command: "lockstep " + CommandLine.arguments.dropFirst().joined(separator: " "), mode: mode,
                                   model: model, network: net?.name ?? "real", reduction: reduction, transport: transport.rawValue,
                                   stepStatistic: stepStatistic, points: points)
        report.execution = execution.name
        if list.contains(where: { $0 > ProcessInfo.processInfo.activeProcessorCount }) {
            print("# note: points above \(ProcessInfo.processInfo.activeProcessorCount) ranks share cores (status=oversubscribed): their times include time-slicing")
        }
        report.lines.forEach { print($0) }
        if let csv = output.csv { try ReportFiles.write(report.csv, to: csv) }
        if let json = output.json { try ReportFiles.write(try ReportFiles.json(report), to: json) }
        if let plotDir = output.plotDir { try ScalingCharts.write(report, into: plotDir).forEach { print("# wrote \($0)") } }
    }
}

extension ScalingReport.Mode: ExpressibleByArgument {}
extension StepStatistic: ExpressibleByArgument {}
