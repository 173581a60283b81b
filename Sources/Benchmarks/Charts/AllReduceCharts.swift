import Foundation
import Charts

/// The charts of `lockstep bench allreduce --plot-dir DIR`: per backend and network, median time vs
/// message size and bus bandwidth vs message size, one line per mode and world size. The plotted
/// figures are the CSV's strings (`time_us`, `busbw_GBps`).
///
/// ```swift
/// let paths = try AllReduceCharts.write(report, into: "docs/scaling")
/// ```
public enum AllReduceCharts {
    /// Writes the charts and returns their paths.
    public static func write(_ report: AllReduceReport, into folder: String) throws -> [String] {
        var written: [String] = []
        let groups = Dictionary(grouping: report.runs) { "\($0.backend)-\(fileSafe($0.network))" }
        for key in groups.keys.sorted() {
            let runs = groups[key]!.sorted { $0.ranks < $1.ranks }
            let where_ = "\(runs[0].backend), network \(runs[0].network)"
            var time = LineChart(title: "Allreduce time (\(where_))", xLabel: "message size (bytes)",
                                 yLabel: "time per allreduce (µs, median)", xLog: true, yLog: true)
            time.xBytes = true
            var bus = LineChart(title: "Allreduce bus bandwidth (\(where_))", xLabel: "message size (bytes)",
                                yLabel: "busbw (GB/s)", xLog: true)
            bus.xBytes = true
            for run in runs {
                for mode in ["deterministic", "mpi"] {
                    let rows = run.rows.filter { $0.mode == mode }
                    guard !rows.isEmpty else { continue }
                    let name = "\(mode == "deterministic" ? "det." : "mpi") W=\(run.ranks)\(run.oversubscribed ? " (shared cores)" : "")"
                    time.series.append(.init(name: name, points: rows.map { (Double($0.bytes), String($0.bytes), $0.medianMicroseconds, f($0.medianMicroseconds, 2)) },
                                             dashed: mode == "mpi"))
                    bus.series.append(.init(name: name, points: rows.map { (Double($0.bytes), String($0.bytes), $0.busBandwidth, f($0.busBandwidth, 4)) },
                                            dashed: mode == "mpi"))
                }
            }
            for (name, chart) in [("time", time), ("busbw", bus)] {
                let path = folder + "/allreduce-\(name)-\(key).svg"
                try ReportFiles.write(chart.svg(), to: path)
                written.append(path)
            }
        }
        return written
    }

    /// `5,10` → `5_10`: network names as file-name parts.
    public static func fileSafe(_ s: String) -> String {
        String(s.map { $0.isLetter || $0.isNumber || $0 == "." || $0 == "-" ? $0 : "_" })
    }
}
