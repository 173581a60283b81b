import ArgumentParser
import Foundation
import Distributed
import Benchmarks

// Bad input throws `BenchmarkError` (not ArgumentParser's ValidationError) so that it prints as one
// `Error: …` line without the usage text.

/// Options shared by the scaling benchmarks: how ranks are made, the network model, and where the
/// outputs go.
struct BenchOutputOptions: ParsableArguments {
    @Option(help: "Also write the results as CSV to this file.")
    var csv: String?

    @Option(help: "Also write the results as JSON to this file (read back by `lockstep bench project`).")
    var json: String?

    @Option(help: "Write SVG charts into this folder.")
    var plotDir: String?

    /// Fails before any measurement when an output's folder is missing.
    func check() throws {
        if let csv { try ReportFiles.checkWritable(csv, what: "CSV") }
        if let json { try ReportFiles.checkWritable(json, what: "JSON") }
        if let plotDir { try ReportFiles.checkWritable(plotDir + "/chart.svg", what: "plots into") }
    }
}

/// Gradient bucket sizes, as the config's `distributed.bucket_mb` and `first_bucket_mb` (for
/// `bench scaling --overlap` and `bench project`'s overlap columns).
struct BucketOptions: ParsableArguments {
    @Option(help: "Gradient bucket size in MB (distributed.bucket_mb).")
    var bucketMb = 25.0

    @Option(help: "First bucket's size in MB (distributed.first_bucket_mb).")
    var firstBucketMb = 1.0

    func check() throws {
        guard bucketMb > 0, bucketMb.isFinite, firstBucketMb > 0, firstBucketMb.isFinite else {
            throw BenchmarkError("--bucket-mb and --first-bucket-mb must be positive, got \(bucketMb) and \(firstBucketMb)")
        }
    }

    /// The config overrides (`--set` syntax).
    var overrides: [String] {
        ["distributed.bucket_mb=\(bucketMb)", "distributed.first_bucket_mb=\(firstBucketMb)"]
    }

    /// The same options on a worker's command line.
    var arguments: [String] {
        ["--bucket-mb", String(bucketMb), "--first-bucket-mb", String(firstBucketMb)]
    }
}

/// How a benchmark's trainer synchronises gradients: the config's `distributed.overlap`,
/// `bucket_mb`, `first_bucket_mb` and `shard_optimizer`, as flags.
struct ExecutionOptions: ParsableArguments {
    @Flag(help: "Reduce gradient buckets on a communication thread during backward (distributed.overlap).")
    var overlap = false

    @OptionGroup var buckets: BucketOptions

    @Flag(help: "ZeRO-1: shard the optimizer state over the ranks (distributed.shard_optimizer).")
    var shardOptimizer = false

    func check(reduction: String) throws {
        try buckets.check()
        if shardOptimizer && reduction == "mpi" {
            throw BenchmarkError("--shard-optimizer needs --reduction deterministic (it keeps that reduction's reduce-scatter)")
        }
    }

    /// The config overrides (`--set` syntax).
    var overrides: [String] {
        ["distributed.overlap=\(overlap)", "distributed.shard_optimizer=\(shardOptimizer)"] + buckets.overrides
    }

    /// The same options on a worker's command line.
    var arguments: [String] {
        (overlap ? ["--overlap"] : []) + buckets.arguments + (shardOptimizer ? ["--shard-optimizer"] : [])
    }

    /// `plain`, `overlap/4MB/1MB`, `shard`, `overlap/4MB/1MB+shard`.
    var name: String {
        let overlapName = overlap ? "overlap/\(Self.mb(buckets.bucketMb))MB/\(Self.mb(buckets.firstBucketMb))MB" : nil
        return [overlapName, shardOptimizer ? "shard" : nil].compactMap { $0 }.joined(separator: "+").nonEmpty ?? "plain"
    }

    private static func mb(_ x: Double) -> String { x == x.rounded() ? String(Int(x)) : String(x) }
}

private extension String {
    var nonEmpty: String? { isEmpty ? nil : self }
}

/// `threads` (a `SimulatedWorld` in this process) or `mpi` (this executable under mpirun).
enum Transport: String, ExpressibleByArgument, CaseIterable {
    case mpi, threads
}

/// Parses `1,2,4,8`: positive, no duplicates, ascending order kept as given.
func parseRanks(_ text: String, minimum: Int = 1) throws -> [Int] {
    let parts = text.split(separator: ",", omittingEmptySubsequences: false)
    let values = parts.map { Int($0.trimmingCharacters(in: .whitespaces)) }
    guard !values.isEmpty, values.allSatisfy({ $0 != nil }) else {
        throw BenchmarkError("--ranks expects a comma-separated list of rank counts like 1,2,4,8, got '\(text)'")
    }
    let ranks = values.map { $0! }
    if let bad = ranks.first(where: { $0 < minimum }) {
        throw BenchmarkError("--ranks: \(bad) is not a valid rank count (each must be at least \(minimum))")
    }
    guard Set(ranks).count == ranks.count else {
        throw BenchmarkError("--ranks: '\(text)' lists a rank count twice")
    }
    return ranks
}

/// `real` (no model) or a `NetworkModel` spec, as one clear error when unknown.
func parseNetwork(_ spec: String) throws -> NetworkModel? {
    if spec.lowercased() == "real" { return nil }
    return try NetworkModel(parsing: spec)
}

/// Wraps `comm` in the network model, if any.
func shaped(_ comm: Communicator, _ network: NetworkModel?) -> Communicator {
    network.map { ShapedCommunicator(comm, network: $0) } ?? comm
}

/// The line a worker prints so that its parent can read the result from mpirun's stdout.
let workerResultPrefix = "lockstep-worker-json="

/// Runs `lockstep <arguments>` under mpirun on `ranks` processes and decodes the worker's result.
func runWorker<T: Decodable>(_ type: T.Type, ranks: Int, arguments: [String]) throws -> T {
    let out = try MPILauncher.run(ranks: ranks, arguments: arguments)
    guard let line = out.split(separator: "\n").last(where: { $0.hasPrefix(workerResultPrefix) }) else {
        throw BenchmarkError("the \(ranks)-rank worker printed no result")
    }
    return try ReportFiles.decode(type, from: Data(line.dropFirst(workerResultPrefix.count).utf8), source: "the \(ranks)-rank worker's output")
}
