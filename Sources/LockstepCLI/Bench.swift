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
