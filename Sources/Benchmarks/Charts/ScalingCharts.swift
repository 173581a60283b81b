import Foundation
import Charts

/// The charts of `lockstep bench scaling` and `lockstep bench project` (`--plot-dir DIR`):
/// efficiency vs ranks, and the stacked step-time breakdown per rank count. Plotted figures are the
/// CSV's strings of the same run.
///
/// ```swift
/// try ScalingCharts.write(report, into: "docs/scaling")
/// ```
public enum ScalingCharts {
    static func stem(_ model: String, _ mode: String, _ network: String) -> String {
        "\(modelName(model))-\(mode)-\(AllReduceCharts.fileSafe(network))"
    }

    /// `wide-mlp`, or a config path's file name without extension.
    public static func modelName(_ model: String) -> String {
        AllReduceCharts.fileSafe(((model as NSString).lastPathComponent as NSString).deletingPathExtension)
    }

    @discardableResult
    public static func write(_ report: ScalingReport, into folder: String) throws -> [String] {
        // Plain runs keep their file names; overlap and sharding runs get the execution in theirs.
        let execution = report.executionName == "plain" ? "" : report.executionName
        let stem = stem(report.model, report.mode.rawValue, report.network)
            + (execution.isEmpty ? "" : "-" + AllReduceCharts.fileSafe(execution))
        var written: [String] = []
        let measured = report.summary.filter { $0.efficiency != nil }
        if !measured.isEmpty {
            var chart = LineChart(title: "\(report.mode.rawValue.capitalized) scaling, \(report.model), network \(report.network)"
                                      + (execution.isEmpty ? "" : ", \(execution)"),
                                  xLabel: "ranks W", yLabel: report.mode == .weak ? "efficiency T₁ / T_W" : "efficiency T₁ / (W·T_W)", xLog: true)
            chart.yMinimum = 0
            chart.yMaximum = 1.1
            chart.series.append(.init(name: "measured (\(report.reduction))",
                                      points: measured.map { (Double($0.ranks), String($0.ranks), $0.efficiency!, f($0.efficiency!, 4)) }))
            let path = folder + "/scaling-efficiency-\(stem).svg"
            try ReportFiles.write(chart.svg(), to: path)
            written.append(path)
        }
        let s = report.summary
        var bars = StackedBarChart(title: "Step time per rank count, \(report.model), network \(report.network)"
                                        + (execution.isEmpty ? "" : ", \(execution)"), xLabel: "ranks W",
                                   yLabel: "ms per step (median step)", categories: s.map { "\($0.ranks)\($0.status == "oversubscribed" ? "*" : "")" })
        let parts: [(String, (StepBreakdown) -> Double)] = [
            ("compute (fwd+bwd)", \.computeMilliseconds), ("communication exposed", \.communicationExposedMilliseconds),
            ("hidden comm (concurrent)", \.communicationHiddenMilliseconds), ("optimizer", \.optimizerMilliseconds), ("other", \.otherMilliseconds)]
        for (name, value) in parts {
            bars.layers.append(.init(name: name, values: s.map { (value($0.breakdown), f(value($0.breakdown), 3)) }))
        }
        let path = folder + "/scaling-breakdown-\(stem).svg"
        try ReportFiles.write(bars.svg(), to: path)
        written.append(path)
        return written
    }

    /// Projected efficiency (with and without overlap) per network, with the measured points.
    public static func write(projections: [ProjectionReport], into folder: String, name: String) throws -> String {
        var chart = LineChart(title: "Projected weak scaling, \(projections.first?.model ?? "")", xLabel: "nodes W",
                              yLabel: "efficiency T₁ / T_W", xLog: true)
        chart.yMinimum = 0
        chart.yMaximum = 1.1
        // One colour per network: solid projected, dashed with overlap, hollow markers measured.
        for (i, p) in projections.enumerated() {
            chart.series.append(.init(name: "\(p.network) projected", points: p.rows.map { (Double($0.nodes), String($0.nodes), $0.efficiency, f($0.efficiency, 4)) }, colorIndex: i))
            chart.series.append(.init(name: "\(p.network) with overlap", points: p.rows.map { (Double($0.nodes), String($0.nodes), $0.overlapEfficiency, f($0.overlapEfficiency, 4)) }, dashed: true, colorIndex: i))
            let measured = p.rows.filter { $0.measuredEfficiency != nil }
            if !measured.isEmpty {
                chart.series.append(.init(name: "\(p.network) measured", points: measured.map { (Double($0.nodes), String($0.nodes), $0.measuredEfficiency!, f($0.measuredEfficiency!, 4)) },
                                          markersOnly: true, colorIndex: i))
            }
        }
        let path = folder + "/\(name).svg"
        try ReportFiles.write(chart.svg(), to: path)
        return path
    }
}
