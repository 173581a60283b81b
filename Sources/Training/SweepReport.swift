import Foundation
import Charts
import Checkpointing

/// One run of a batch sweep: where it trained and what it reached.
public struct SweepRow: Codable, Sendable, Equatable {
    public var optimizer: String
    public var batch: Int
    public var steps: Int
    /// The learning rate after the optimizer's scaling rule at this batch.
    public var learningRate: Double
    public var warmupSteps: Int
    /// The compared validation metric (NaN when the run diverged or the metric is undefined).
    public var value: Double
    public var trainLoss: Double
    public var collapse: RunCollapse?
    public var paramsSHA256: String

    public init(optimizer: String, batch: Int, steps: Int, learningRate: Double, warmupSteps: Int, summary: RunSummary, metric: String) {
        (self.optimizer, self.batch, self.steps, self.learningRate, self.warmupSteps) = (optimizer, batch, steps, learningRate, warmupSteps)
        let v = summary.validation
        value = (metric == "auc" ? v.auc : metric == "accuracy" ? v.accuracy : v.loss) ?? .nan
        trainLoss = summary.finalTrainLoss
        collapse = summary.collapse
        paramsSHA256 = summary.paramsSHA256
    }

    /// `lamb B=32768 (146 steps, lr 0.02): auc 0.8552`, and the collapse when there is one.
    public var line: String {
        "\(optimizer) B=\(batch) (\(steps) steps, lr \(SweepReport.number(learningRate))): "
            + (value.isFinite ? String(format: "%.4f", value) : "no value") + (collapse.map { " — \($0.kind.rawValue): \($0.detail)" } ?? "")
    }

    enum CodingKeys: String, CodingKey {
        case optimizer, batch, steps, learningRate = "learning_rate", warmupSteps = "warmup_steps", value, trainLoss = "train_loss"
        case collapse, paramsSHA256 = "params_sha256"
    }

    // NaN as null, as everywhere in Lockstep's JSON.
    public func encode(to encoder: Encoder) throws {
        var out = encoder.container(keyedBy: CodingKeys.self)
        try out.encode(optimizer, forKey: .optimizer)
        try out.encode(batch, forKey: .batch)
        try out.encode(steps, forKey: .steps)
        try out.encode(learningRate, forKey: .learningRate)
        try out.encode(warmupSteps, forKey: .warmupSteps)
        try out.encode(value.isFinite ? value : nil, forKey: .value)
        try out.encode(trainLoss.isFinite ? trainLoss : nil, forKey: .trainLoss)
        try out.encodeIfPresent(collapse, forKey: .collapse)
        try out.encode(paramsSHA256, forKey: .paramsSHA256)
    }

    public init(from decoder: Decoder) throws {
        let values = try decoder.container(keyedBy: CodingKeys.self)
        optimizer = try values.decode(String.self, forKey: .optimizer)
        batch = try values.decode(Int.self, forKey: .batch)
        steps = try values.decode(Int.self, forKey: .steps)
        learningRate = try values.decode(Double.self, forKey: .learningRate)
        warmupSteps = try values.decode(Int.self, forKey: .warmupSteps)
        value = try values.decodeIfPresent(Double.self, forKey: .value) ?? .nan
        trainLoss = try values.decodeIfPresent(Double.self, forKey: .trainLoss) ?? .nan
        collapse = try values.decodeIfPresent(RunCollapse.self, forKey: .collapse)
        paramsSHA256 = try values.decode(String.self, forKey: .paramsSHA256)
    }
}

/// A batch sweep's table (CSV, JSON), its chart (validation metric against global batch, one line per
/// optimizer) and, per optimizer, the largest batch whose metric is within `tolerance` of its
/// smallest batch's — the question Goyal et al.'s table answers.
///
/// ```swift
/// let report = SweepReport(rows: rows, metric: "auc", tolerance: 0.005)
/// print(report.verdicts.joined(separator: "\n"))   // "lamb: largest batch within 0.005 of B=256's auc 0.8550: 65536"
/// ```
public struct SweepReport {
    public let rows: [SweepRow]
    public let metric: String
    public let tolerance: Double

    public init(rows: [SweepRow], metric: String, tolerance: Double) {
        (self.rows, self.metric, self.tolerance) = (rows, metric, tolerance)
    }

    var higherIsBetter: Bool { metric != "loss" }

    /// The optimizers in the order they ran.
    public var optimizers: [String] { rows.map(\.optimizer).reduce(into: []) { if !$0.contains($1) { $0.append($1) } } }

    /// Per optimizer: the largest batch within `tolerance` of its smallest batch's metric (nil when
    /// the smallest batch has no value). A collapsed run never counts.
    public func largestWithinTolerance(_ optimizer: String) -> (reference: SweepRow, largest: SweepRow)? {
        let mine = rows.filter { $0.optimizer == optimizer }.sorted { $0.batch < $1.batch }
        guard let first = mine.first, first.value.isFinite else { return nil }
        let good = mine.filter { row in
            row.collapse == nil && row.value.isFinite
                && (higherIsBetter ? row.value >= first.value - tolerance : row.value <= first.value + tolerance)
        }
        return (first, good.last ?? first)
    }

    /// One line per optimizer naming its largest batch within tolerance.
    public var verdicts: [String] {
        optimizers.map { o in
            guard let (reference, largest) = largestWithinTolerance(o) else { return "\(o): B=\(rows.first { $0.optimizer == o }?.batch ?? 0) has no \(metric) to compare against" }
            return "\(o): largest batch within \(Self.number(tolerance)) of B=\(reference.batch)'s \(metric) \(String(format: "%.4f", reference.value)): \(largest.batch)"
        }
    }

    public var csv: String {
        var text = "optimizer,batch,steps,learning_rate,warmup_steps,\(metric),train_loss,collapse,params_sha256\n"
        for r in rows {
            let value = r.value.isFinite ? String(format: "%.6f", r.value) : ""
            let loss = r.trainLoss.isFinite ? String(format: "%.6f", r.trainLoss) : ""
            text += "\(r.optimizer),\(r.batch),\(r.steps),\(Self.number(r.learningRate)),\(r.warmupSteps),\(value),\(loss),\(r.collapse?.kind.rawValue ?? ""),\(r.paramsSHA256)\n"
        }
        return text
    }

    /// `{"metric", "tolerance", "rows": […], "largest_within_tolerance": {optimizer: batch}}`.
    public func json() throws -> [UInt8] {
        struct Document: Encodable {
            let metric: String, tolerance: Double, rows: [SweepRow], largestWithinTolerance: [String: Int]
            enum CodingKeys: String, CodingKey { case metric, tolerance, rows, largestWithinTolerance = "largest_within_tolerance" }
        }
        let largest = Dictionary(uniqueKeysWithValues: optimizers.compactMap { o in largestWithinTolerance(o).map { (o, $0.largest.batch) } })
        return try JSONOutput.pretty(Document(metric: metric, tolerance: tolerance, rows: rows, largestWithinTolerance: largest))
    }

    /// The validation metric against the global batch (log₂ axis), one line per optimizer; collapsed
    /// runs are drawn at their value (AUC 0.5 is where a collapse sits), diverged ones left out.
    public func svg() -> String {
        var chart = LineChart(title: "Validation \(metric) at equal epochs", xLabel: "global batch", yLabel: "validation \(metric)", xLog: true)
        for o in optimizers {
            let points = rows.filter { $0.optimizer == o }.sorted { $0.batch < $1.batch }.map {
                (x: Double($0.batch), xText: String($0.batch), y: $0.value, yText: $0.value.isFinite ? String(format: "%.4f", $0.value) : "")
            }
            chart.series.append(.init(name: o, points: points))
        }
        let values = rows.map(\.value).filter(\.isFinite)
        if let low = values.min(), let high = values.max() {
            chart.yMinimum = low - 0.05 * max(high - low, 0.01)
            chart.yMaximum = high + 0.05 * max(high - low, 0.01)
        }
        return chart.svg()
    }

    /// `directory/sweep.csv`, `sweep.json` and `sweep.svg`, each written atomically.
    public func write(to directory: String) throws {
        try AtomicFile.write(Array(csv.utf8), to: directory + "/sweep.csv")
        try AtomicFile.write(json(), to: directory + "/sweep.json")
        try AtomicFile.write(Array(svg().utf8), to: directory + "/sweep.svg")
    }

    static func number(_ x: Double) -> String { String(format: "%g", x) }
}
