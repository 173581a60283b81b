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
        abstract: "Saved-activation bytes before backward and the peak during forward+backward, with and without activation checkpointing; optimizer-state bytes per rank with and without ZeRO-1 sharding.")

    @Option(help: "The wide model's config.")
    var wideConfig = "configs/wide-mlp.yaml"

    @Option(help: "The reference model's config (its blocks have batch norm and dropout).")
    var clinicalConfig = "configs/clinical-mlp.yaml"

    @Option(help: "Samples in the measured micro-batch.")
    var batch = 256

    @Option(help: "World sizes for the optimizer-state bytes per rank, unsharded and with ZeRO-1 sharding.")
    var ranks = "1,2,4,8"

    func validate() throws {
        guard batch >= 2 else { throw ValidationError("--batch must be at least 2 (batch norm needs 2 samples)") }
        _ = try parseRanks(ranks)
    }

    func run() throws {
        for (name, path) in [("wide-mlp", wideConfig), ("clinical-mlp", clinicalConfig)] {
            let config = try RunConfig.load(path: path)
            for result in try MemoryBenchmark(name: name, config: config, batch: batch).run() {
                print(result.line)
            }
        }
        // Optimizer state: SGD with momentum keeps one slot, AdamW two.
        for (name, path) in [("wide-mlp", wideConfig), ("clinical-mlp", clinicalConfig)] {
            for optimizer in ["{type: sgd, lr: 0.01, momentum: 0.9}", "{type: adamw, lr: 0.001}"] {
                let config = try RunConfig.load(path: path, overrides: ["optimizer=\(optimizer)"])
                for w in try parseRanks(ranks) {
                    print(try OptimizerStateMemory(name: name, config: config).measure(ranks: w).line)
                }
            }
        }
    }
}
