import ArgumentParser
import Foundation
import Training
import Config
import Benchmarks
import Distributed

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Benchmarks; each prints one key=value line per case.",
        subcommands: [BenchStep.self, BenchAllReduce.self, BenchScaling.self, BenchProject.self, BenchMemory.self])
}

struct BenchStep: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "step",
        abstract: "Time training steps of the reference, wide and transformer models, the sgemm rate of their GEMMs, and the transformer's GEMM share.")

    @Option(help: "The reference model's config.")
    var clinicalConfig = "configs/clinical-mlp.yaml"

    @Option(help: "The wide model's config.")
    var wideConfig = "configs/wide-mlp.yaml"

    @Option(help: "Seconds of timing per case.")
    var seconds = 1.5

    @Option(help: "The models to time, comma-separated: clinical-mlp, wide-mlp, transformer-lm.")
    var models = "clinical-mlp,wide-mlp,transformer-lm"

    @Flag(help: "With transformer-lm: also print the step's GEMMs grouped by shape, with their time per step.")
    var gemmBreakdown = false

    @Option(help: "With transformer-lm: also train this many steps from the start and print their last loss and a hash of the parameters (bits check).")
    var checkSteps = 0

    static let knownModels = ["clinical-mlp", "wide-mlp", "transformer-lm"]

    func validate() throws {
        guard seconds > 0 else { throw ValidationError("--seconds must be positive") }
        for model in selected where !Self.knownModels.contains(model) {
            throw ValidationError("--models: unknown model '\(model)' (known: \(Self.knownModels.joined(separator: ", ")))")
        }
    }

    private var selected: [String] {
        models.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
    }

    func run() throws {
        if selected.contains("clinical-mlp") {
            let clinical = try RunConfig.load(path: clinicalConfig)
            for batch in [16, 256, 4096] {
                let r = try StepBenchmark(name: "clinical-mlp", config: clinical, batch: batch).run(seconds: seconds)
                print("clinical-mlp batch=\(batch) us_per_step=\(fmt(r.microsecondsPerStep, 1)) samples_per_second=\(Int(r.samplesPerSecond))")
            }
        }
        if selected.contains("wide-mlp") {
            let wide = try RunConfig.load(path: wideConfig)
            for batch in [32, 256] {
                let r = try StepBenchmark(name: "wide-mlp", config: wide, batch: batch).run(seconds: seconds)
                let sgemm = StepBenchmark.sgemmRate(model: try ModelBuilder.build(wide), batch: batch, seconds: seconds)
                print("wide-mlp batch=\(batch) us_per_step=\(fmt(r.microsecondsPerStep, 1)) samples_per_second=\(Int(r.samplesPerSecond)) "
                      + "gflops=\(fmt(r.gflops, 1)) sgemm_gflops=\(fmt(sgemm, 1)) fraction_of_sgemm=\(fmt(r.gflops / sgemm, 3))")
            }
        }
        if selected.contains("transformer-lm") {
            let r = try TransformerLMBenchmark(batch: 16).run(seconds: seconds)
            let fields: [String] = [
                "transformer-lm", "batch=\(r.batch)", "context=\(r.context)", "us_per_step=\(fmt(r.microsecondsPerStep, 1))",
                "samples_per_second=\(Int(r.samplesPerSecond))", "gflops=\(fmt(r.gflops, 1))", "gemm_calls=\(r.gemmCalls)",
                "gemm_us=\(fmt(r.gemmMicroseconds, 1))", "gemm_share=\(fmt(r.gemmShare, 3))",
                "sgemm_replay_us=\(fmt(r.replayMicroseconds, 1))", "sgemm_gflops=\(fmt(r.sgemmGflops, 1))",
                "blocks_us=" + r.blockMicroseconds.map { fmt($0, 0) }.joined(separator: ","),
            ]
            print(fields.joined(separator: " "))
            if checkSteps > 0 {
                let check = try TransformerLMBenchmark(batch: 16).check(steps: checkSteps)
                print("transformer-lm check steps=\(checkSteps) first_loss=\(check.losses[0]) last_loss=\(check.losses[checkSteps - 1]) "
                      + "params_digest=\(String(check.parameterDigest, radix: 16))")
            }
            if gemmBreakdown {
                for g in r.gemmBreakdown {
                    let c = g.call
                    print("  gemm \(c.transposeA ? "T" : "N")\(c.transposeB ? "T" : "N") m=\(c.m) n=\(c.n) k=\(c.k) lda=\(c.lda) ldb=\(c.ldb) ldc=\(c.ldc) "
                          + "beta=\(c.beta) calls=\(g.count) us=\(fmt(g.microseconds, 1)) gflops=\(fmt(c.flops * Double(g.count) / g.microseconds / 1e3, 1))")
                }
            }
        }
    }

    private func fmt(_ x: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", x) }
}
