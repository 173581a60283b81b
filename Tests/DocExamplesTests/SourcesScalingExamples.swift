import Foundation
import Testing
import Distributed
import Config
import Training
@testable import Benchmarks
@testable import Charts

// The ```swift blocks of the scaling suite's `///` comments (network model, benchmarks, charts,
// timeline) and of docs/scaling.md, each compiled inside a function.

enum ScalingExamples {
    static func networkModel() throws {
        let net = try NetworkModel(parsing: "10gbit")        // α = 5 µs, β = 10 Gbit/s
        let seconds = net.transferSeconds(bytes: 1 << 20)     // 5e-6 + 1048576 / 1.25e9 ≈ 0.000844
        _ = seconds
    }

    static func shapedCommunicator(comm: Communicator, gradients: UnsafeMutableBufferPointer<Float>) throws {
        let shaped = ShapedCommunicator(comm, network: try NetworkModel(parsing: "10gbit"))
        try DeterministicAllReduce().sum(gradients, over: shaped)   // same bits, 10 Gbit/s timing
    }

    static func docsScaling(world: Communicator) throws {
        let net = try NetworkModel(parsing: "10gbit")             // or NetworkModel(latencyMicroseconds: 5, gigabitsPerSecond: 10)
        let comm: Communicator = ShapedCommunicator(world, network: net)
        _ = comm
    }

    static func stepTimeline(trainer: Trainer) throws {
        let timeline = StepTimeline()
        trainer.timeline = timeline
        try trainer.step()
        let backward = timeline.seconds(of: .backward)    // seconds spent in backward so far
        _ = backward
    }

    static func traceEventFile(run: TrainingRun, comm: Communicator) throws {
        let timeline = StepTimeline(origin: 0)
        run.timeline = timeline
        try run.run()
        try TraceEventFile.gatherAndWrite(timeline, over: comm, to: "runs/x/timeline.json")   // every rank calls it
    }

    static func allReduceBenchmark(comm: Communicator) throws {
        let rows = try AllReduceBenchmark(communicator: comm).run()
        for row in rows { print(row.line) }
    }

    static func allReduceRow(row: AllReduceRow) {
        print(row.line)   // allreduce mode=deterministic ranks=2 bytes=4096 time_us=3.6 min_us=3.1 max_us=9.0 …
    }

    static func allReduceRun(rows: [AllReduceRow]) throws {
        let run = try AllReduceRun(rows: rows, backend: "mpi", network: nil)
        print(run.lines.joined(separator: "\n"))
    }

    static func hockneyTerms() {
        let t = HockneyTerms(mode: .deterministic, ranks: 8, bytes: 12 << 20)
        let seconds = t.seconds(alpha: 5e-6, beta: 1 / 1.25e9, gamma: 0.1e-9)
        _ = seconds
    }

    static func hockneyFit(rows: [AllReduceRow]) throws {
        let fit = try HockneyFit(rows: rows.filter { $0.mode == "deterministic" })
        let seconds = fit.seconds(ranks: 64, bytes: 12 << 20)
        _ = seconds
    }

    static func reportFiles(report: AllReduceReport) throws {
        try ReportFiles.write(report.csv, to: "runs/allreduce.csv")
        let json = try ReportFiles.json(report)
        _ = json
    }

    static func scalingBenchmark(wide: RunConfig, comm: Communicator) throws {
        let step = try ScalingBenchmark(config: wide, perRankBatch: 256).measure(communicator: comm)
        print(step.stepMilliseconds, step.computeMilliseconds)
    }

    static func scalingProjection(breakdown: StepBreakdown, fit: HockneyFit) {
        let p = ScalingProjection(oneRank: breakdown, fit: fit)
        let ms = p.stepMilliseconds(nodes: 64, overlap: false)
        _ = ms
    }

    static func scalingReport(points: [ScalingPoint]) {
        let report = ScalingReport(command: "lockstep bench scaling", mode: .weak, model: "wide-mlp", network: "real",
                                   reduction: "deterministic", transport: "mpi", points: points)
        report.lines.forEach { print($0) }
    }

    static func allReduceCharts(report: AllReduceReport) throws {
        let paths = try AllReduceCharts.write(report, into: "docs/scaling")
        _ = paths
    }

    static func scalingCharts(report: ScalingReport) throws {
        try ScalingCharts.write(report, into: "docs/scaling")
    }

    static func pixelThinning() {
        let kept = PixelThinning.kept([(90.0, 1.0), (90.2, 3.0), (90.4, 2.0), (91.0, 0.5)], columns: 470, left: 90)
        // [0, 1, 2, 3]: every point is some column's first, last, lowest or highest
        _ = kept
    }

    static func lineChart() {
        var chart = LineChart(title: "Weak scaling", xLabel: "ranks", yLabel: "efficiency T₁/T_W")
        chart.series.append(.init(name: "measured", points: [(1, "1", 1.0, "1.000"), (2, "2", 0.91, "0.910")]))
        let svg = chart.svg()
        _ = svg
    }

    static func stackedBarChart() {
        var chart = StackedBarChart(title: "Step time", xLabel: "ranks", yLabel: "ms per step", categories: ["1", "2"])
        chart.layers.append(.init(name: "compute", values: [(40, "40.00"), (41, "41.00")]))
        _ = chart.svg()
    }

    static func svgDocument() {
        var doc = SVGDocument(title: "busbw", xAxis: .init(label: "message size (bytes)", range: 4096...67108864, scale: .log2),
                              yAxis: .init(label: "GB/s", range: 0...10))
        doc.add("<circle …/>")
        let text = doc.finished(legend: [.init(name: "deterministic", color: "#1f77b4")])
        _ = text
    }
}
