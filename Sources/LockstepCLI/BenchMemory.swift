import ArgumentParser
import Foundation
import Training
import Config
import Benchmarks

/// `lockstep bench memory`: bytes autograd keeps for backward, and the peak during forward and
/// backward, with and without activation checkpointing (docs/benchmarks.md, "Activation memory").
struct BenchMemory: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "memory",
        abstract: "Saved-activation bytes before backward and the peak during forward+backward, with and without activation checkpointing.")

    @Option(help: "The wide model's config.")
    var wideConfig = "configs/wide-mlp.yaml"

    @Option(help: "The reference model's config (its blocks have batch norm and dropout).")
    var clinicalConfig = "configs/clinical-mlp.yaml"

    @Option(help: "Samples in the measured micro-batch.")
    var batch = 256

    func validate() throws {
        guard batch >= 2 else { throw ValidationError("--batch must be at least 2 (batch norm needs 2 samples)") }
    }

    func run() throws {
        for (name, path) in [("wide-mlp", wideConfig), ("clinical-mlp", clinicalConfig)] {
            let config = try RunConfig.load(path: path)
            for result in try MemoryBenchmark(name: name, config: config, batch: batch).run() {
                print(result.line)
            }
        }
    }
}
