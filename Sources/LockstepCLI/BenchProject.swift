import ArgumentParser
import Foundation
import Distributed
import Benchmarks

struct BenchProject: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "project",
        abstract: "Projected weak-scaling step time and efficiency on N nodes, from a one-rank step measured now and an α-β fit.",
        discussion: """
            The fit comes from `lockstep bench allreduce --network NET --json FILE` (pass FILE with --allreduce). \
            Measured points given with --scaling (from `lockstep bench scaling --json`) are compared with the projection.
            """)

    @Option(help: "wide-mlp, clinical-mlp, or a config file.")
    var model = "wide-mlp"

    @Option(help: "Network(s) to project for: real or a spec whose fit is in the --allreduce file. Repeat for several.")
    var network: [String] = []

    @Option(help: "Reduction mode (deterministic or mpi).")
    var reduction = "deterministic"

    @Option(help: "JSON written by `lockstep bench allreduce --json` holding the fitted α-β model(s) (repeatable).")
    var allreduce: [String] = []

    @Option(help: "JSON written by `lockstep bench scaling --json`: measured points to compare (repeatable).")
    var scaling: [String] = []

    @Option(help: "Node counts to project.")
    var nodes = "1,2,4,8,16,32,64,128,256,512,1024"

    @Option(help: "Samples per rank per step.")
    var perRankBatch = 256

    @Option(help: "Timed one-rank steps.")
    var steps = 12

    @Option(help: "Which timed step stands for the one-rank step: median, or fastest (compare with scaling runs of the same).")
    var stepStatistic: StepStatistic = .median

    /// The buckets of the overlap columns.
    @OptionGroup var buckets: BucketOptions

    @OptionGroup var output: BenchOutputOptions

    func validate() throws {
        _ = try parseRanks(nodes)
        for spec in network { _ = try parseNetwork(spec) }
        guard let mode = ReductionMode(rawValue: reduction) else { throw BenchmarkError("--reduction must be deterministic or mpi, got '\(reduction)'") }
        guard !allreduce.isEmpty else {
            throw BenchmarkError("no fitted allreduce model: pass --allreduce FILE, written by `lockstep bench allreduce --network NET --json FILE`")
        }
        let report = try fits()
        for spec in networks {
            let name = try parseNetwork(spec)?.name ?? "real"
            guard report.fit(mode: mode, network: name) != nil else {
                throw BenchmarkError("no fitted \(reduction) allreduce model for network \(name) in \(allreduce.joined(separator: ", ")): run `lockstep bench allreduce --network \(name) --json FILE` first")
            }
        }
        for path in scaling { _ = try ReportFiles.read(ScalingReport.self, path: path, what: "scaling report") }
        guard perRankBatch >= 1, steps >= 1 else { throw BenchmarkError("--per-rank-batch and --steps must be positive") }
        try buckets.check()
        try output.check()
    }

    private var networks: [String] { network.isEmpty ? ["real"] : network }

    /// The runs of every --allreduce file, as one report.
    private func fits() throws -> AllReduceReport {
        let reports = try allreduce.map { try ReportFiles.read(AllReduceReport.self, path: $0, what: "allreduce fit") }
        return AllReduceReport(command: reports.map(\.command).joined(separator: "; "), runs: reports.flatMap(\.runs))
    }

    func run() throws {
        let mode = ReductionMode(rawValue: reduction)!
        let fits = try fits()
        let measuredReports = try scaling.map { try ReportFiles.read(ScalingReport.self, path: $0, what: "scaling report") }
        let config = try BenchScaling.config(model: model, reduction: reduction, overrides: buckets.overrides)
        var benchmark = ScalingBenchmark(config: config, perRankBatch: perRankBatch)
        benchmark.timedSteps = steps
        benchmark.statistic = stepStatistic
        let oneRank = try benchmark.measure(communicator: LocalCommunicator())
        let command = "lockstep " + CommandLine.arguments.dropFirst().joined(separator: " ")
        var reports: [ProjectionReport] = []
        for spec in networks {
            let name = try parseNetwork(spec)?.name ?? "real"
            let candidates = measuredReports.filter { $0.network == name && $0.model == model && $0.reduction == reduction && $0.mode == .weak && $0.stepStatistic == stepStatistic }
            let report = ProjectionReport(command: command, model: model, network: name,
                                          projection: ScalingProjection(oneRank: oneRank, fit: fits.fit(mode: mode, network: name)!),
                                          nodes: try parseRanks(nodes), measured: candidates.first { $0.executionName == "plain" },
                                          measuredOverlap: candidates.first { $0.executionName.hasPrefix("overlap") && !$0.executionName.contains("shard") })
            report.lines.forEach { print($0) }
            reports.append(report)
        }
        if let csv = output.csv {
            let header = ProjectionReport.csvHeader + "\n"
            try ReportFiles.write(header + reports.map { $0.csv.dropFirst(header.count) }.joined(), to: csv)
        }
        if let json = output.json { try ReportFiles.write(try ReportFiles.json(reports), to: json) }
        if let plotDir = output.plotDir {
            let name = "projection-\(ScalingCharts.modelName(model))-\(reduction)"
            print("# wrote \(try ScalingCharts.write(projections: reports, into: plotDir, name: name))")
        }
    }
}
