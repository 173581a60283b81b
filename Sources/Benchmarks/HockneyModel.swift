import Foundation
import Distributed

/// The α-β-γ (Hockney) cost of an allreduce: α per message round, β per byte sent over a link, γ per
/// byte added. `terms` gives, for the algorithm each reduction mode actually runs, how many α, β and
/// γ it pays; `HockneyFit` fits α and β to measured times with γ measured separately.
///
/// For n bytes on W ranks (p the largest power of two ≤ W, lg = log₂):
/// - `deterministic`, n ≤ the recursive-doubling limit (8 MB): lg p rounds of full buffers,
///   `lg p·α + n·lg p·β + n·lg p·γ`;
/// - `deterministic`, larger: recursive halving + allgather, `2·lg p·α + 2n(p−1)/p·β + n(p−1)/p·γ`;
/// - `deterministic`, W not a power of two (the general path, `TreeExchange`, one fragment per rank):
///   up to 64 KB whole buffers in W−1 rounds, `(W−1)·α + n(W−1)·β + n(W−1)·γ`; larger, a pairwise
///   reduce-scatter + allgather, `2(W−1)·α + 2n(W−1)/W·β + n(W−1)/W·γ`;
/// - `mpi`: the ring, `2(W−1)α + 2n(W−1)/W·β + n(W−1)/W·γ` (a reference: the library picks its own).
///
/// ```swift
/// let t = HockneyTerms(mode: .deterministic, ranks: 8, bytes: 12 << 20)
/// let seconds = t.seconds(alpha: 5e-6, beta: 1 / 1.25e9, gamma: 0.1e-9)
/// ```
public struct HockneyTerms: Sendable, Equatable {
    public var messages: Double
    public var bytesSent: Double
    public var bytesReduced: Double

    public init(messages: Double, bytesSent: Double, bytesReduced: Double) {
        self.messages = messages
        self.bytesSent = bytesSent
        self.bytesReduced = bytesReduced
    }

    public init(mode: ReductionMode, ranks w: Int, bytes: Int,
                doublingLimit: Int = DeterministicAllReduce().recursiveDoublingLimit,
                replicatedLimit: Int = DeterministicAllReduce().replicatedLimit) {
        guard w > 1 else { self.init(messages: 0, bytesSent: 0, bytesReduced: 0); return }
        let n = Double(bytes)
        switch mode {
        case .mpi:
            let share = Double(w - 1) / Double(w)
            self.init(messages: 2 * Double(w - 1), bytesSent: 2 * n * share, bytesReduced: n * share)
        case .deterministic where w & (w - 1) == 0:
            let lg = log2(Double(w))
            if bytes <= doublingLimit {
                self.init(messages: lg, bytesSent: n * lg, bytesReduced: n * lg)
            } else {
                let share = Double(w - 1) / Double(w)
                self.init(messages: 2 * lg, bytesSent: 2 * n * share, bytesReduced: n * share)
            }
        case .deterministic:
            let others = Double(w - 1)
            if bytes <= replicatedLimit {
                self.init(messages: others, bytesSent: n * others, bytesReduced: n * others)
            } else {
                self.init(messages: 2 * others, bytesSent: 2 * n * others / Double(w), bytesReduced: n * others / Double(w))
            }
        }
    }

    public func seconds(alpha: Double, beta: Double, gamma: Double) -> Double {
        messages * alpha + bytesSent * beta + bytesReduced * gamma
    }
}

/// α and β fitted by least squares to measured allreduce times (relative errors weighted equally, so
/// that 4 KB and 64 MB count alike), with γ measured on its own; and how well the fit reproduces
/// the measurements.
///
/// The fitted time of a case is its fastest repetition: on a shared machine a repetition's time is
/// the transport's cost plus whatever other processes' time slices fell into it (40 ms scheduler
/// slices were seen in medians under load), and the minimum is the estimate least touched by that.
///
/// ```swift
/// let fit = try HockneyFit(rows: rows.filter { $0.mode == "deterministic" })
/// let seconds = fit.seconds(ranks: 64, bytes: 12 << 20)
/// ```
public struct HockneyFit: Sendable, Codable, Equatable {
    public let mode: String
    /// Seconds per message.
    public let alpha: Double
    /// Seconds per byte on a link (1/bandwidth).
    public let beta: Double
    /// Seconds per byte reduced (measured, median over sizes ≥ 1 MB, else over all sizes).
    public let gamma: Double
    public let rmsRelativeError: Double
    public let maxRelativeError: Double
    public let points: Int

    public init(alpha: Double, beta: Double, gamma: Double, mode: ReductionMode,
                rmsRelativeError: Double = 0, maxRelativeError: Double = 0, points: Int = 0) {
        self.mode = mode.rawValue
        self.alpha = alpha
        self.beta = beta
        self.gamma = gamma
        self.rmsRelativeError = rmsRelativeError
        self.maxRelativeError = maxRelativeError
        self.points = points
    }

    /// Fits the rows of one mode (any world sizes ≥ 2).
    public init(rows: [AllReduceRow]) throws {
        let rows = rows.filter { $0.ranks > 1 }
        guard let first = rows.first, let mode = ReductionMode(rawValue: first.mode),
              rows.allSatisfy({ $0.mode == first.mode }) else {
            throw BenchmarkError("a Hockney fit needs measured allreduce rows of one mode on 2 or more ranks")
        }
        guard Set(rows.map(\.bytes)).count >= 2 else {
            throw BenchmarkError("a Hockney fit needs at least two message sizes, got \(Set(rows.map(\.bytes)).count)")
        }
        let large = rows.filter { $0.bytes >= 1 << 20 }
        let gammas = (large.isEmpty ? rows : large).map(\.reductionNanosecondsPerByte).sorted()
        let gamma = gammas[gammas.count / 2] * 1e-9
        // Minimise Σ ((a·α + b·β − (t − c·γ)) / t)² over α, β ≥ 0: 2×2 normal equations.
        let samples = rows.map { row -> (a: Double, b: Double, y: Double, t: Double) in
            let terms = HockneyTerms(mode: mode, ranks: row.ranks, bytes: row.bytes)
            let t = row.minMicroseconds * 1e-6
            return (terms.messages / t, terms.bytesSent / t, (t - terms.bytesReduced * gamma) / t, t)
        }
        var saa = 0.0, sab = 0.0, sbb = 0.0, say = 0.0, sby = 0.0
        for s in samples {
            saa += s.a * s.a; sab += s.a * s.b; sbb += s.b * s.b; say += s.a * s.y; sby += s.b * s.y
        }
        let det = saa * sbb - sab * sab
        var alpha = det != 0 ? (say * sbb - sby * sab) / det : 0
        var beta = det != 0 ? (saa * sby - sab * say) / det : 0
        if alpha < 0 { alpha = 0; beta = sbb > 0 ? sby / sbb : 0 }
        if beta < 0 { beta = 0; alpha = max(0, saa > 0 ? say / saa : 0) }
        let errors = rows.map { row -> Double in
            let predicted = HockneyTerms(mode: mode, ranks: row.ranks, bytes: row.bytes).seconds(alpha: alpha, beta: beta, gamma: gamma)
            return (predicted - row.minMicroseconds * 1e-6) / (row.minMicroseconds * 1e-6)
        }
        self.init(alpha: alpha, beta: beta, gamma: gamma, mode: mode,
                  rmsRelativeError: (errors.reduce(0) { $0 + $1 * $1 } / Double(errors.count)).squareRoot(),
                  maxRelativeError: errors.map(abs).max()!, points: rows.count)
    }

    public var reductionMode: ReductionMode { ReductionMode(rawValue: mode) ?? .deterministic }

    /// Modelled seconds of one allreduce of `bytes` on `ranks` ranks in this fit's mode.
    public func seconds(ranks: Int, bytes: Int) -> Double {
        HockneyTerms(mode: reductionMode, ranks: ranks, bytes: bytes).seconds(alpha: alpha, beta: beta, gamma: gamma)
    }

    /// One gradient bucket on the communication thread, which switches from recursive doubling to
    /// halving + allgather at `GradientSynchronizer.overlapDoublingLimit`.
    public func bucketSeconds(ranks: Int, bytes: Int) -> Double {
        HockneyTerms(mode: reductionMode, ranks: ranks, bytes: bytes, doublingLimit: GradientSynchronizer.overlapDoublingLimit)
            .seconds(alpha: alpha, beta: beta, gamma: gamma)
    }

    public var line: String {
        "fit mode=\(mode) alpha_us=\(f(alpha * 1e6, 2)) beta_GBps=\(f(beta > 0 ? 1 / beta / 1e9 : .infinity, 3)) "
            + "gamma_ns_per_byte=\(f(gamma * 1e9, 4)) rms_rel_error=\(f(rmsRelativeError, 3)) max_rel_error=\(f(maxRelativeError, 3)) points=\(points)"
    }
}

/// A benchmark's bad input or impossible request, as one line.
public struct BenchmarkError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
