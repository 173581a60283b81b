import Foundation
import Testing
import TensorCore
import Training
import Config

/// Gradient accumulation in one process: a global batch of 32 taken as 4 micro-batches of 8 must train
/// the same model as one micro-batch of 32 (rounding aside), because the trainer sums per-sample
/// losses per micro-batch, combines the micro-batch gradients and divides by the global batch once.
@Suite("Trainer: gradient accumulation")
struct AccumulationTests {
    /// The reference shapes without batch norm and dropout (the two layers whose result depends on the
    /// micro-batch): 20→64→ReLU→32→ReLU→1, BCE with logits, SGD with momentum.
    static func plainYAML(micro: Int, batchNorm: Bool = false) -> String {
        let bn1 = batchNorm ? "\n    - {name: bn1, type: batchnorm1d}" : ""
        let bn2 = batchNorm ? "\n    - {name: bn2, type: batchnorm1d}" : ""
        return """
            seed: 11
            model:
              input: 20
              layers:
                - {name: layer1, type: linear, out: 64}\(bn1)
                - {type: relu}
                - {name: layer2, type: linear, out: 32}\(bn2)
                - {type: relu}
                - {name: layer3, type: linear, out: 1}
            data: {source: synthetic-clinical, samples: 2000, standardize: true}
            loss: bce_with_logits
            batch: {global: 32, micro: \(micro)}
            optimizer: {type: sgd, lr: 0.1, momentum: 0.9}
            train: {steps: 20}
            output: {dir: runs/unused}

            """
    }

    static func trained(micro: Int, batchNorm: Bool = false) throws -> (trainer: Trainer, config: RunConfig, losses: [Double]) {
        let config = try RunConfig(yaml: plainYAML(micro: micro, batchNorm: batchNorm), source: "accumulation.yaml")
        let trainer = try Trainer(config: config, data: PreparedData(config: config))
        var losses: [Double] = []
        for _ in 0..<config.train.steps { losses.append(try trainer.step().loss) }
        return (trainer, config, losses)
    }

    @Test("micro 8 × accumulation 4 trains the same parameters as micro 32 × accumulation 1")
    func accumulationMatchesOneBigBatch() throws {
        BLASThreads.set(1)
        let accumulated = try Self.trained(micro: 8)
        let single = try Self.trained(micro: 32)
        #expect(accumulated.trainer.plan.accumulationSteps == 4)
        #expect(single.trainer.plan.accumulationSteps == 1)

        let a = accumulated.trainer.model.stateDict(), b = single.trainer.model.stateDict()
        #expect(a.map(\.name) == ["layer1.weight", "layer1.bias", "layer2.weight", "layer2.bias", "layer3.weight", "layer3.bias"])
        let difference = TT.maxRelativeDifference(a, b)
        #expect(difference <= 1e-5, "parameters differ by \(difference) (relative) after 20 steps")

        // The parameters did move (the comparison is not between two untouched initialisations)…
        let initial = try ModelBuilder.build(accumulated.config).stateDict()
        #expect(TT.maxRelativeDifference(a, initial) > 1e-2)
        // …and the reported loss is the mean over the global batch in both cases.
        for (x, y) in zip(accumulated.losses, single.losses) {
            #expect(abs(x - y) <= 1e-5 * max(1, abs(y)), "step loss \(x) vs \(y)")
        }
    }

    /// The same comparison with batch norm: ghost batch norm normalises each micro-batch of 8 with its
    /// own statistics, so micro 8 and micro 32 are different computations. This shows that the test
    /// above would notice a difference between the two configurations.
    @Test("with batch norm, micro 8 and micro 32 differ (ghost batch norm)")
    func batchNormMakesMicroBatchMatter() throws {
        BLASThreads.set(1)
        let accumulated = try Self.trained(micro: 8, batchNorm: true)
        let single = try Self.trained(micro: 32, batchNorm: true)
        let difference = TT.maxRelativeDifference(accumulated.trainer.model.stateDict(), single.trainer.model.stateDict())
        #expect(difference > 1e-3, "ghost batch norm should make micro 8 and micro 32 train differently, difference \(difference)")
    }

    /// Accumulation is deterministic to the bit: two trainers with the same config end with identical bytes.
    @Test("accumulated training is bitwise reproducible")
    func accumulationIsReproducible() throws {
        BLASThreads.set(1)
        let first = try Self.trained(micro: 8, batchNorm: true).trainer.model.stateDict()
        let second = try Self.trained(micro: 8, batchNorm: true).trainer.model.stateDict()
        for (x, y) in zip(first, second) {
            #expect(x.tensor.bitwiseEqual(y.tensor), "\(x.name) differs between two identical runs")
        }
    }
}
