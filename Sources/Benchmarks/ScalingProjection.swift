import Foundation
import Distributed

/// Weak-scaling step time on W nodes from a measured one-rank step and a fitted allreduce model:
///
///     T(W) = T_compute + T_optimizer + T_other + T_allreduce(W, gradient bytes)
///            + T_allreduce(W, statistics bytes) − T_hidden
///
/// with T_allreduce the Hockney cost of the algorithm the reduction mode runs (`HockneyTerms`). With
/// overlap (`distributed.overlap`, as built) the gradients go as buckets b₁…b_k (in the order backward
/// finishes them, each with the communication thread's algorithm) and
///
///     T(W) = T_compute + T_optimizer + T_other + Σᵢ T_bucket(W, bᵢ) + T_allreduce(W, statistics) − T_hidden
///     T_hidden = min(Σ_{i<k} T_bucket(W, bᵢ), T_backward) + min(T_bucket(W, b_k), T_optimizer · (1 − b_k / Σ bᵢ))
///
/// — every bucket but the last (the first layers', final only when backward ends) reduced under
/// backward, and the last one's reduction under the update of the others. The reduction's own
/// copies and additions are assumed to take no compute from the rank (a spare core per node; on
/// this 2-core machine they do, docs/scaling.md "Overlap and ZeRO-1"). Assumes every node computes
/// as fast as the measured rank, and a full link per node (no contention, no stragglers).
///
/// ```swift
/// let p = ScalingProjection(oneRank: breakdown, fit: fit)
/// let ms = p.stepMilliseconds(nodes: 64, overlap: false)
/// ```
public struct ScalingProjection: Sendable {
    public let oneRank: StepBreakdown
    public let fit: HockneyFit

    public init(oneRank: StepBreakdown, fit: HockneyFit) {
        self.oneRank = oneRank
        self.fit = fit
    }

    /// The measured step without communication (a one-rank step has none).
    public var localMilliseconds: Double {
        oneRank.computeMilliseconds + oneRank.optimizerMilliseconds + oneRank.otherMilliseconds
    }

    public func allReduceMilliseconds(nodes: Int) -> Double {
        (fit.seconds(ranks: nodes, bytes: oneRank.gradientBytes) + fit.seconds(ranks: nodes, bytes: oneRank.statisticsBytes)) * 1e3
    }

    private var buckets: [Int] { oneRank.bucketBytes ?? [oneRank.gradientBytes] }

    /// Σᵢ T_bucket(W, bᵢ): the gradients' reduction as the communication thread runs it.
    public func bucketMilliseconds(nodes: Int) -> Double {
        buckets.reduce(0) { $0 + fit.bucketSeconds(ranks: nodes, bytes: $1) } * 1e3
    }

    public func hiddenMilliseconds(nodes: Int, overlap: Bool) -> Double {
        guard overlap, let last = buckets.last, oneRank.gradientBytes > 0 else { return 0 }
        let lastMs = fit.bucketSeconds(ranks: nodes, bytes: last) * 1e3
        let others = 1 - Double(last) / Double(oneRank.gradientBytes)
        return min(bucketMilliseconds(nodes: nodes) - lastMs, oneRank.backwardMilliseconds)
            + min(lastMs, oneRank.optimizerMilliseconds * others)
    }

    public func stepMilliseconds(nodes: Int, overlap: Bool) -> Double {
        guard overlap else { return localMilliseconds + allReduceMilliseconds(nodes: nodes) }
        let statistics = fit.seconds(ranks: nodes, bytes: oneRank.statisticsBytes) * 1e3
        return localMilliseconds + bucketMilliseconds(nodes: nodes) + statistics - hiddenMilliseconds(nodes: nodes, overlap: true)
    }

    /// Weak-scaling efficiency T(1)/T(W).
    public func efficiency(nodes: Int, overlap: Bool) -> Double {
        stepMilliseconds(nodes: 1, overlap: overlap) / stepMilliseconds(nodes: nodes, overlap: overlap)
    }
}

/// The table `lockstep bench project` prints and writes.
public struct ProjectionReport: Sendable, Codable {
    public struct Row: Sendable, Codable {
        public let nodes: Int
        public let stepMilliseconds: Double
        public let efficiency: Double
        public let overlapStepMilliseconds: Double
        public let overlapEfficiency: Double
        public let allReduceMilliseconds: Double
        public let measuredStepMilliseconds: Double?
        public let measuredEfficiency: Double?
        /// The step measured with overlap (a scaling report whose execution is `overlap/…`).
        public var measuredOverlapStepMilliseconds: Double?
        /// (projected − measured) / measured, of the step time, when measured.
        public var error: Double? { measuredStepMilliseconds.map { (stepMilliseconds - $0) / $0 } }
        /// The same with overlap.
        public var overlapError: Double? { measuredOverlapStepMilliseconds.map { (overlapStepMilliseconds - $0) / $0 } }
    }

    public let command: String
    public let date: String
    public let model: String
    public let network: String
    public let reduction: String
    public let fit: HockneyFit
    public let oneRank: StepBreakdown
    public let rows: [Row]

    public init(command: String, model: String, network: String, projection: ScalingProjection, nodes: [Int],
                measured: ScalingReport?, measuredOverlap: ScalingReport? = nil, date: Date = Date()) {
        self.command = command
        self.date = ISO8601DateFormatter().string(from: date)
        self.model = model
        self.network = network
        reduction = projection.fit.mode
        fit = projection.fit
        oneRank = projection.oneRank
        rows = nodes.map { w in
            let point = measured?.summary.first { $0.ranks == w }
            var row = Row(nodes: w, stepMilliseconds: projection.stepMilliseconds(nodes: w, overlap: false),
                       efficiency: projection.efficiency(nodes: w, overlap: false),
                       overlapStepMilliseconds: projection.stepMilliseconds(nodes: w, overlap: true),
                       overlapEfficiency: projection.efficiency(nodes: w, overlap: true),
                       allReduceMilliseconds: projection.allReduceMilliseconds(nodes: w),
                       measuredStepMilliseconds: point?.breakdown.stepMilliseconds, measuredEfficiency: point?.efficiency)
            row.measuredOverlapStepMilliseconds = measuredOverlap?.summary.first { $0.ranks == w }?.breakdown.stepMilliseconds
            return row
        }
    }

    public static let csvHeader = "model,network,reduction,nodes,step_ms,efficiency,overlap_step_ms,overlap_efficiency,allreduce_ms,measured_step_ms,measured_efficiency,error,measured_overlap_step_ms,overlap_error"

    public var csv: String {
        ([Self.csvHeader] + rows.map { r in
            [model, network.replacingOccurrences(of: ",", with: ";"), reduction, String(r.nodes), f(r.stepMilliseconds, 3), f(r.efficiency, 4),
             f(r.overlapStepMilliseconds, 3), f(r.overlapEfficiency, 4), f(r.allReduceMilliseconds, 3),
             r.measuredStepMilliseconds.map { f($0, 3) } ?? "", r.measuredEfficiency.map { f($0, 4) } ?? "",
             r.error.map { f($0, 4) } ?? "", r.measuredOverlapStepMilliseconds.map { f($0, 3) } ?? "",
             r.overlapError.map { f($0, 4) } ?? ""].joined(separator: ",")
        }).joined(separator: "\n") + "\n"
    }

    public var lines: [String] {
        ["# projection model=\(model) network=\(network) reduction=\(reduction) one_rank_ms=\(f(oneRank.stepMilliseconds, 2)) "
         + "compute_ms=\(f(oneRank.computeMilliseconds, 2)) gradient_bytes=\(oneRank.gradientBytes) "
         + "bucket_bytes=\((oneRank.bucketBytes ?? [oneRank.gradientBytes]).map(String.init).joined(separator: ","))", "# \(fit.line)"]
            + rows.map { r in
                var line = "project model=\(model) network=\(network) nodes=\(r.nodes) step_ms=\(f(r.stepMilliseconds, 2)) efficiency=\(f(r.efficiency, 3)) "
                    + "overlap_step_ms=\(f(r.overlapStepMilliseconds, 2)) overlap_efficiency=\(f(r.overlapEfficiency, 3)) allreduce_ms=\(f(r.allReduceMilliseconds, 2))"
                if let m = r.measuredStepMilliseconds, let e = r.error {
                    line += " measured_step_ms=\(f(m, 2)) error=\(f(e * 100, 1))%"
                }
                if let m = r.measuredOverlapStepMilliseconds, let e = r.overlapError {
                    line += " measured_overlap_step_ms=\(f(m, 2)) overlap_error=\(f(e * 100, 1))%"
                }
                return line
            }
    }
}
