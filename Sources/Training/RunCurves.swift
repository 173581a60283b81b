import Foundation
import Charts
import Checkpointing

/// The learning curves of runs, read back from their `metrics.jsonl`: the training loss of every
/// logged step, and a validation metric at every evaluation, drawn as one SVG line chart whose legend
/// names each run by its folder. `lockstep plot` draws several runs on one chart; training writes
/// `OUT/curves.svg` for its own.
///
/// ```swift
/// try RunCurves.write(runs: ["runs/a", "runs/b"], metric: "auc", to: "auc.svg")
/// ```
public enum RunCurves {
    /// One line of the chart: a run's training loss, or its validation `metric`.
    public struct Curve: Equatable {
        public var name: String
        public var points: [(step: Int, value: Double)]
        public static func == (a: Curve, b: Curve) -> Bool {
            a.name == b.name && a.points.map(\.step) == b.points.map(\.step) && a.points.map(\.value) == b.points.map(\.value)
        }
    }

    /// The curves of one run: `train loss` (with metric `loss`) and `validation <metric>`, each left out
    /// when the run has no such records. Undefined values (`null`), negative steps and values no run
    /// can log (`isPossible`) are skipped.
    public static func curves(of run: String, metric: String) throws -> [Curve] {
        let path = run + "/metrics.jsonl"
        let name = URL(fileURLWithPath: run).standardizedFileURL.lastPathComponent
        var train: [(Int, Double)] = [], validation: [(Int, Double)] = []
        // Streamed: a log of millions of records costs its points, not its records.
        do {
            try MetricsLog.forEachRecord(path) { record in
                switch record.event {
                case .train(let logged) where metric == "loss":
                    if let loss = logged.loss.value, logged.step >= 0, Self.isPossible(loss, metric: metric) { train.append((logged.step, loss)) }
                case .eval(let eval):
                    if let value = eval.validation.metric(named: metric), eval.step >= 0, Self.isPossible(value, metric: metric) {
                        validation.append((eval.step, value))
                    }
                default:
                    break
                }
            }
        } catch {
            throw TrainingError("\(path): cannot read the run's metrics (is \(run) a run folder?)")
        }
        var curves: [Curve] = []
        if !train.isEmpty { curves.append(Curve(name: "\(name) train loss", points: train)) }
        if !validation.isEmpty { curves.append(Curve(name: "\(name) validation \(metric)", points: validation)) }
        return curves
    }

    /// Whether `value` can be a `metric` of a Lockstep run at all: finite, within float32's range (the
    /// figures are computed in float32), not negative for a loss or an error (every loss a config can
    /// name is a mean of non-negative terms), and between 0 and 1 for a rate. A record that fails is a
    /// damaged or hand-edited line, and is left off the chart rather than stretching its axis to 1e308.
    static func isPossible(_ value: Double, metric: String) -> Bool {
        guard value.isFinite, abs(value) <= Double(Float.greatestFiniteMagnitude) else { return false }
        switch metric {
        case "loss", "mse", "mae": return value >= 0
        case "accuracy", "auc", "precision", "recall", "f1": return value >= 0 && value <= 1
        default: return true
        }
    }

    /// The chart of `metric` over the runs, as SVG text. Throws when no run has a point to draw.
    public static func svg(runs: [String], metric: String) throws -> String {
        guard let text = try svgIfAny(runs: runs, metric: metric) else {
            throw TrainingError("no \(metric == "loss" ? "loss" : "validation \(metric)") records in \(runs.joined(separator: ", "))")
        }
        return text
    }

    /// The chart, or nil when no run has a point to draw (a run that logged nothing).
    public static func svgIfAny(runs: [String], metric: String) throws -> String? {
        var chart = LineChart(title: metric == "loss" ? "Loss" : "Validation \(metric)", xLabel: "step",
                              yLabel: metric == "loss" ? "loss (mean per sample)" : metric)
        for (index, run) in runs.enumerated() {
            for curve in try curves(of: run, metric: metric) {
                let isTrain = curve.name.hasSuffix(" train loss")
                chart.series.append(.init(name: curve.name,
                                          points: curve.points.map { (Double($0.step), String($0.step), $0.value, String($0.value)) },
                                          dashed: !isTrain && metric == "loss", colorIndex: index))
            }
        }
        return chart.series.isEmpty ? nil : chart.svg()
    }

    /// Writes the chart atomically to `path`.
    public static func write(runs: [String], metric: String, to path: String) throws {
        try AtomicFile.write(Array(try svg(runs: runs, metric: metric).utf8), to: path)
    }
}
