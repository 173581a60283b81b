import ArgumentParser
import Foundation
import Training
import Config
import Benchmarks
import Distributed

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Benchmarks; each prints one key=value line per case.",
        subcommands: [BenchStep.self, BenchAllReduce.self, BenchScaling.self, BenchMemory.self])
}

struct BenchStep: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "step",
        abstract: "Time training steps of the reference and wide models, and the sgemm rate of the wide model's GEMMs.")

    @Option(help: "The reference model's config.")
    var clinicalConfig = "configs/clinical-mlp.yaml"

    @Option(help: "The wide model's config.")
    var wideConfig = "configs/wide-mlp.yaml"

    @Option(help: "Seconds of timing per case.")
    var seconds = 1.5

    func validate() throws {
        guard seconds > 0 else { throw ValidationError("--seconds must be positive") }
    }

    func run() throws {
        let clinical = try RunConfig.load(path: clinicalConfig)
        let wide = try RunConfig.load(path: wideConfig)
        for batch in [16, 256, 4096] {
            let r = try StepBenchmark(name: "clinical-mlp", config: clinical, batch: batch).run(seconds: seconds)
            print("clinical-mlp batch=\(batch) us_per_step=\(fmt(r.microsecondsPerStep, 1)) samples_per_second=\(Int(r.samplesPerSecond))")
        }
        for batch in [32, 256] {
            let r = try StepBenchmark(name: "wide-mlp", config: wide, batch: batch).run(seconds: seconds)
            let sgemm = StepBenchmark.sgemmRate(model: try ModelBuilder.build(wide), batch: batch, seconds: seconds)
            print("wide-mlp batch=\(batch) us_per_step=\(fmt(r.microsecondsPerStep, 1)) samples_per_second=\(Int(r.samplesPerSecond)) "
                  + "gflops=\(fmt(r.gflops, 1)) sgemm_gflops=\(fmt(sgemm, 1)) fraction_of_sgemm=\(fmt(r.gflops / sgemm, 3))")
        }
    }

    private func fmt(_ x: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", x) }
}

struct BenchAllReduce: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "allreduce",
        abstract: "Deterministic allreduce vs MPI_Allreduce, 4 KB … 64 MB, on 2 MPI ranks (starts mpirun itself).")

    @Option(help: "Number of MPI ranks.")
    var ranks = 2

    func validate() throws {
        guard ranks >= 2 else { throw ValidationError("--ranks must be at least 2: an allreduce of one rank does nothing") }
    }

    func run() throws {
        guard World.isMPILaunch else {
            print(try MPILauncher.run(ranks: ranks, arguments: ["bench", "allreduce", "--ranks", String(ranks)]), terminator: "")
            return
        }
        _ = try World.run(ranks: nil) { comm in
            let rows = try AllReduceBenchmark(communicator: comm).run()
            if comm.rank == 0 { for row in rows { print(row.line) } }
        }
    }
}

struct BenchScaling: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scaling",
        abstract: "Weak scaling of the wide MLP: step time at 1 and N MPI ranks with a fixed per-rank batch.")

    @Option(help: "The wide model's config.")
    var wideConfig = "configs/wide-mlp.yaml"

    @Option(help: "Samples per rank per step.")
    var perRankBatch = 256

    @Option(help: "Ranks of the scaled run.")
    var ranks = 2

    @Option(help: "Reduction mode (deterministic or mpi).")
    var reduction: ReductionMode = .deterministic

    @Flag(help: .hidden)
    var worker = false

    func validate() throws {
        guard ranks >= 2 else { throw ValidationError("--ranks must be at least 2") }
        guard perRankBatch >= 1 else { throw ValidationError("--per-rank-batch must be positive") }
    }

    func run() throws {
        let shared = ["bench", "scaling", "--wide-config", wideConfig, "--per-rank-batch", String(perRankBatch),
                      "--reduction", reduction.rawValue, "--worker"]
        if worker {
            let config = try RunConfig.load(path: wideConfig, overrides: ["distributed.reduction=\(reduction.rawValue)"])
            let benchmark = ScalingBenchmark(config: config, perRankBatch: perRankBatch)
            _ = try World.run(ranks: nil) { comm in
                let ms = try benchmark.stepMilliseconds(communicator: comm)
                if comm.rank == 0 { print("step_ms=\(ms)") }
            }
            return
        }
        func stepMilliseconds(_ n: Int) throws -> Double {
            let out = try MPILauncher.run(ranks: n, arguments: shared + ["--ranks", String(max(2, n))])
            guard let line = out.split(separator: "\n").last(where: { $0.hasPrefix("step_ms=") }),
                  let value = Double(line.dropFirst("step_ms=".count)) else {
                throw ValidationError("the \(n)-rank worker printed no step time")
            }
            return value
        }
        let t1 = try stepMilliseconds(1), tn = try stepMilliseconds(ranks)
        print("scaling model=wide-mlp ranks=1 per_rank_batch=\(perRankBatch) step_ms=\(String(format: "%.2f", t1))")
        print("scaling model=wide-mlp ranks=\(ranks) per_rank_batch=\(perRankBatch) reduction=\(reduction.rawValue) step_ms=\(String(format: "%.2f", tn)) efficiency=\(String(format: "%.3f", t1 / tn))")
    }
}
