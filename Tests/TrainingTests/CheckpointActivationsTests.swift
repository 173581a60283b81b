import Testing
import TensorCore
import NN
import Training
import Config
import Benchmarks

/// `model.checkpoint_activations`: same names, same bits, less memory.
struct CheckpointActivationsTests {
    static func config(checkpoint: Bool) throws -> RunConfig {
        let yaml = configClinical(replacing: "samples: 20000", with: "samples: 1200")
        return try RunConfig(yaml: yaml, source: "clinical.yaml",
                             overrides: ["model.checkpoint_activations=\(checkpoint)", "train.eval_every=0"])
    }

    @Test func modelBuilderKeepsTheNames() throws {
        let plain = try ModelBuilder.build(Self.config(checkpoint: false))
        let checkpointed = try ModelBuilder.build(Self.config(checkpoint: true))
        #expect(checkpointed.stateDict().map(\.name) == plain.stateDict().map(\.name))
        #expect(plain.stateDict().map(\.name).first == "layer1.weight")
        // Blocks [layer1, bn1, 2, 3] and [layer2, bn2, 6] checkpointed, layer3 plain.
        let kinds = checkpointed.layers.map { ($0.name, $0.module.summary) }
        #expect(kinds.map(\.0) == ["", "", "layer3"])
        #expect(kinds[0].1 == "Checkpointed(Sequential)" && kinds[1].1 == "Checkpointed(Sequential)")
        for (a, b) in zip(plain.stateDict(), checkpointed.stateDict()) { #expect(a.tensor.bitwiseEqual(b.tensor), "\(a.name)") }

        let wide = try RunConfig.load(path: configShippedPath("wide-mlp.yaml"))
        var wideCheckpointed = wide
        wideCheckpointed.model.checkpointActivations = true
        #expect(try ModelBuilder.build(wideCheckpointed).stateDict().map(\.name)
                == ModelBuilder.build(wide).stateDict().map(\.name))
    }

    @Test func trainingIsBitIdenticalWithCheckpointing() throws {
        let data = try PreparedData(config: Self.config(checkpoint: false))
        var states: [[(name: String, tensor: Tensor)]] = []
        var losses: [[Double]] = []
        for checkpoint in [false, true] {
            let trainer = try Trainer(config: Self.config(checkpoint: checkpoint), data: data)
            losses.append(try (0..<3).map { _ in try trainer.step().loss })
            states.append(trainer.model.stateDict())
        }
        #expect(losses[0] == losses[1])
        #expect(states[0].map(\.name) == states[1].map(\.name))
        for (a, b) in zip(states[0], states[1]) {
            #expect(a.tensor.bitwiseEqual(b.tensor), "\(a.name) differs after 3 steps")
        }
        // Batch norm counted one update per step in both.
        #expect(states[1].first { $0.name == "bn1.num_batches_tracked" }!.tensor.item == 3)
    }

    @Test func memoryBenchmarkSeesTheSaving() throws {
        let config = try Self.config(checkpoint: false)
        let results = try MemoryBenchmark(name: "clinical-mlp", config: config, batch: 64).run()
        #expect(results.map(\.checkpoint) == [false, true])
        // The graph keeps one tensor per block instead of five: about a quarter of the bytes.
        #expect(results[1].savedBytes * 3 < results[0].savedBytes)
        // The peak hardly moves on this model: it is reached while the first block, which holds most
        // of the activations, is replayed and backpropagated. It must not grow, though.
        #expect(results[1].peakBytes <= results[0].peakBytes + results[0].peakBytes / 50)
        #expect(results[0].line.hasPrefix("memory model=clinical-mlp batch=64 checkpoint=false saved_bytes="))
    }
}
