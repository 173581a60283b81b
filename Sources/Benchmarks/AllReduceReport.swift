import Foundation
import Distributed

/// One world's allreduce measurements: the rows of both modes, their Hockney fits, and what was
/// measured (backend, network model, whether the ranks had a core each).
///
/// ```swift
/// let run = try AllReduceRun(rows: rows, backend: "mpi", network: nil)
/// print(run.lines.joined(separator: "\n"))
/// ```
public struct AllReduceRun: Sendable, Codable {
    /// `mpi` (MPI_Allreduce and MPI_Sendrecv between processes) or `threads` (a `SimulatedWorld`, whose
    /// `mpi` mode is its own rendezvous sum: there is no MPI library in the measurement).
    public let backend: String
    /// `real` (the transport as it is) or the network spec that shaped it.
    public let network: String
    public let networkModel: NetworkModel?
    public let ranks: Int
    public let cores: Int
    public var oversubscribed: Bool { ranks > cores }
    public let rows: [AllReduceRow]
    public let fits: [HockneyFit]

    public init(rows: [AllReduceRow], backend: String, network: NetworkModel?,
                cores: Int = ProcessInfo.processInfo.activeProcessorCount) throws {
        self.backend = backend
        self.network = network?.name ?? "real"
        networkModel = network
        ranks = rows.first?.ranks ?? 0
        self.cores = cores
        self.rows = rows
        fits = try ReductionMode.allCases.compactMap { mode in
            let mine = rows.filter { $0.mode == mode.rawValue }
            return Set(mine.map(\.bytes)).count >= 2 ? try HockneyFit(rows: mine) : nil
        }
    }

    /// Deterministic time over `mpi` time per size.
    public var ratios: [(bytes: Int, ratio: Double)] {
        let mpi = Dictionary(rows.filter { $0.mode == "mpi" }.map { ($0.bytes, $0.medianMicroseconds) }, uniquingKeysWith: { a, _ in a })
        return rows.filter { $0.mode == "deterministic" }.compactMap { row in
            mpi[row.bytes].map { (row.bytes, row.medianMicroseconds / $0) }
        }
    }

    /// What `lockstep bench allreduce` prints: a header saying what is measured, a row per case, the
    /// ratios and the fits.
    public var lines: [String] {
        var out = ["# allreduce ranks=\(ranks) backend=\(backend) network=\(networkModel?.description ?? "real") cores=\(cores) "
                   + "mpi_mode=\(backend == "mpi" ? "MPI_Allreduce" : "SimulatedWorld rendezvous sum (no MPI library)")"]
        if oversubscribed {
            out.append("# note: \(ranks) ranks on \(cores) cores: ranks share cores (oversubscribed), times include time-slicing")
        }
        out += rows.map { "\($0.line) backend=\(backend) network=\(network)" }
        out += ratios.map { "allreduce ratio ranks=\(ranks) bytes=\($0.bytes) deterministic_over_mpi=\(f($0.ratio, 3))" }
        out += fits.map { "\($0.line) ranks=\(ranks) backend=\(backend) network=\(network)" }
        return out
    }
}

/// Every world measured by one `lockstep bench allreduce` command, as written by `--json` (and read
/// back by `lockstep bench project`) and `--csv`.
public struct AllReduceReport: Sendable, Codable {
    public let command: String
    public let date: String
    public let runs: [AllReduceRun]

    public init(command: String, runs: [AllReduceRun], date: Date = Date()) {
        self.command = command
        self.date = ISO8601DateFormatter().string(from: date)
        self.runs = runs
    }

    public static let csvHeader = "backend,network,oversubscribed," + AllReduceRow.csvHeader

    public var csv: String {
        var out = [Self.csvHeader]
        for run in runs {
            out += run.rows.map { "\(run.backend),\(run.network.replacingOccurrences(of: ",", with: ";")),\(run.oversubscribed),\($0.csv)" }
        }
        return out.joined(separator: "\n") + "\n"
    }

    /// The fit of `mode` for `network` (`real` or a spec's name) on `backend`: from the run with the
    /// most ranks that had a core each (oversubscribed runs measure time-slicing, not the transport),
    /// else from the smallest oversubscribed one.
    public func fit(mode: ReductionMode, network: String, backend: String? = nil) -> HockneyFit? {
        runs.filter { $0.network == network && (backend == nil || $0.backend == backend) }
            .sorted { ($0.oversubscribed ? 1 : 0, $0.oversubscribed ? $0.ranks : -$0.ranks) < ($1.oversubscribed ? 1 : 0, $1.oversubscribed ? $1.ranks : -$1.ranks) }
            .lazy.compactMap { $0.fits.first { $0.mode == mode.rawValue } }.first
    }
}
