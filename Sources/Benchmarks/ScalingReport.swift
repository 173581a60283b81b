import Foundation

/// One measured world size of `lockstep bench scaling`.
public struct ScalingPoint: Sendable, Codable {
    public let ranks: Int
    public let repetition: Int
    public let globalBatch: Int
    public let breakdown: StepBreakdown
    /// `measured` (a core per rank) or `oversubscribed` (ranks share cores).
    public let status: String
    /// Weak: T₁/T_W; strong: T₁/(W·T_W); of this repetition (or the median over repetitions in a summary).
    public var efficiency: Double?

    public init(ranks: Int, repetition: Int, globalBatch: Int, breakdown: StepBreakdown,
                cores: Int = ProcessInfo.processInfo.activeProcessorCount) {
        self.ranks = ranks
        self.repetition = repetition
        self.globalBatch = globalBatch
        self.breakdown = breakdown
        status = ranks <= cores ? "measured" : "oversubscribed"
    }

    public var samplesPerSecond: Double { Double(globalBatch) / (breakdown.stepMilliseconds / 1e3) }
}

/// Everything one `lockstep bench scaling` command measured, with the per-rank-count summary
/// (medians over repetitions), as printed, and as written by `--csv` and `--json`.
///
/// ```swift
/// let report = ScalingReport(command: "lockstep bench scaling", mode: .weak, model: "wide-mlp", network: "real",
///                            reduction: "deterministic", transport: "mpi", points: points)
/// report.lines.forEach { print($0) }
/// ```
public struct ScalingReport: Sendable, Codable {
    public enum Mode: String, Sendable, Codable, CaseIterable { case weak, strong }

    public let command: String
    public let date: String
    public let mode: Mode
    public let model: String
    public let network: String
    public let reduction: String
    public let transport: String
    /// Which timed step stands for each point (`median` or `fastest`).
    public let stepStatistic: StepStatistic
    /// How gradients were synchronised: `plain` (one reduction after backward), `overlap/4MB/1MB`
    /// (buckets of 4 MB, the first 1 MB, reduced during backward), `+shard` for ZeRO-1. Nil in files
    /// written before it was recorded: plain.
    public var execution: String?
    public var executionName: String { execution ?? "plain" }
    public let points: [ScalingPoint]
    public let summary: [ScalingPoint]

    public init(command: String, mode: Mode, model: String, network: String, reduction: String, transport: String,
                stepStatistic: StepStatistic = .median, points raw: [ScalingPoint], date: Date = Date()) {
        self.stepStatistic = stepStatistic
        self.command = command
        self.date = ISO8601DateFormatter().string(from: date)
        self.mode = mode
        self.model = model
        self.network = network
        self.reduction = reduction
        self.transport = transport
        // Efficiency within each repetition: T₁ of the same repetition (ratios within one run).
        var points = raw
        for i in points.indices {
            guard let one = raw.first(where: { $0.ranks == 1 && $0.repetition == points[i].repetition }) else { continue }
            let t1 = one.breakdown.stepMilliseconds, tw = points[i].breakdown.stepMilliseconds
            points[i].efficiency = mode == .weak ? t1 / tw : t1 / (Double(points[i].ranks) * tw)
        }
        self.points = points
        summary = Dictionary(grouping: points, by: \.ranks).keys.sorted().map { w in
            let mine = points.filter { $0.ranks == w }
            // The median step of the repetitions, with the median of their efficiencies.
            var median = mine.sorted { $0.breakdown.stepMilliseconds < $1.breakdown.stepMilliseconds }[mine.count / 2]
            let efficiencies = mine.compactMap(\.efficiency).sorted()
            median.efficiency = efficiencies.isEmpty ? nil : efficiencies[efficiencies.count / 2]
            return median
        }
    }

    public static let csvHeader = "model,mode,network,reduction,transport,ranks,repetition,status,global_batch,step_ms,samples_per_s,efficiency,"
        + "compute_ms,forward_ms,backward_ms,comm_exposed_ms,comm_hidden_ms,optimizer_ms,other_ms,execution"

    static func csvRow(_ p: ScalingPoint, _ r: ScalingReport, repetition: String) -> String {
        let b = p.breakdown
        return [r.model, r.mode.rawValue, r.network.replacingOccurrences(of: ",", with: ";"), r.reduction, r.transport,
                String(p.ranks), repetition, p.status, String(p.globalBatch), f(b.stepMilliseconds, 3), f(p.samplesPerSecond, 1),
                p.efficiency.map { f($0, 4) } ?? "", f(b.computeMilliseconds, 3), f(b.forwardMilliseconds, 3), f(b.backwardMilliseconds, 3),
                f(b.communicationExposedMilliseconds, 3), f(b.communicationHiddenMilliseconds, 3), f(b.optimizerMilliseconds, 3),
                f(b.otherMilliseconds, 3), r.executionName].joined(separator: ",")
    }

    /// Every repetition's rows, then the summary rows (repetition `median`).
    public var csv: String {
        ([Self.csvHeader] + points.map { Self.csvRow($0, self, repetition: String($0.repetition)) }
            + summary.map { Self.csvRow($0, self, repetition: "median") }).joined(separator: "\n") + "\n"
    }

    public var lines: [String] {
        summary.map { p in
            let b = p.breakdown
            return "scaling model=\(model) mode=\(mode.rawValue) ranks=\(p.ranks) status=\(p.status) network=\(network) reduction=\(reduction) "
                + "transport=\(transport) execution=\(executionName) step=\(stepStatistic.rawValue) global_batch=\(p.globalBatch) step_ms=\(f(b.stepMilliseconds, 2)) samples_per_s=\(Int(p.samplesPerSecond)) "
                + "efficiency=\(p.efficiency.map { f($0, 3) } ?? "-") compute_ms=\(f(b.computeMilliseconds, 2)) "
                + "comm_exposed_ms=\(f(b.communicationExposedMilliseconds, 2)) comm_hidden_ms=\(f(b.communicationHiddenMilliseconds, 2)) "
                + "optimizer_ms=\(f(b.optimizerMilliseconds, 2)) other_ms=\(f(b.otherMilliseconds, 2)) repetitions=\(points.filter { $0.ranks == p.ranks }.count)"
        }
    }
}
