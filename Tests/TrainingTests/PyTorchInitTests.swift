import Foundation
import Testing
import TensorCore
import Checkpointing
import Training
import Config

/// `lockstep train --init FILE` and `lockstep eval --weights FILE` with a state dict PyTorch saved:
/// the names, dtypes and layout agree, and the loaded model computes what PyTorch computes.
@Suite("PyTorch state dicts: --init and eval")
struct PyTorchInitTests {
    static func writeFixture(in directory: String) throws -> String {
        let path = directory + "/init.safetensors"
        try Data(PyTorchReferenceFixture.initBytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    static func config(_ overrides: [String] = []) throws -> RunConfig {
        try RunConfig(yaml: TT.referenceYAML(steps: 1, evalEvery: 0, logEvery: 1), source: "init.yaml", overrides: overrides)
    }

    @Test("a PyTorch state dict loads and gives PyTorch's eval-mode logits")
    func loadAndForward() throws {
        let directory = try TT.temporaryDirectory("torch-forward")
        defer { TT.remove(directory) }
        let path = try Self.writeFixture(in: directory)
        let config = try Self.config()
        let model = try ModelBuilder.build(config)
        let state = try StateDictFile.read(path, for: model)
        #expect(state.optimizer.isEmpty)
        #expect(Set(state.model.keys) == Set(RunOutputTests.stateDictNames))
        #expect(state.model["bn2.num_batches_tracked"]?.dtype == .int64)
        #expect(state.model["bn2.num_batches_tracked"]?.element(0) == 5)
        try model.loadStateDict(state.model, source: path)
        for (name, tensor) in model.stateDict() {
            #expect(tensor.bitwiseEqual(try #require(state.model[name])), "\(name) did not load as is")
        }

        model.eval()
        let x = Tensor(PyTorchReferenceFixture.inputs.flatMap { $0 }, shape: [4, 20])
        let logits = try model(x)
        #expect(logits.shape == [4, 1])
        for (i, expected) in PyTorchReferenceFixture.expectedLogits.enumerated() {
            #expect(abs(logits.element(i) - expected) <= 1e-5, "row \(i): \(logits.element(i)) vs PyTorch \(expected)")
        }
        // Sensitivity: in train mode (batch statistics, dropout) the same rows give other logits.
        model.train()
        let trainLogits = try model(x)
        #expect((0..<4).contains { abs(trainLogits.element($0) - PyTorchReferenceFixture.expectedLogits[$0]) > 1e-3 })
    }

    /// `TrainingRun(initialStatePath:)` starts from the file: with a vanishing learning rate one step
    /// leaves the weights where PyTorch put them, and `num_batches_tracked` counts on from PyTorch's 5.
    @Test("TrainingRun with an initial state starts from those weights")
    func trainingRunStartsFromInit() throws {
        let directory = try TT.temporaryDirectory("torch-init")
        defer { TT.remove(directory) }
        let path = try Self.writeFixture(in: directory)
        let initial = try SafetensorsArchive(contentsOf: path)

        let still = try Self.config(["optimizer.lr=1e-12"])
        try TT.quietRun(still, in: directory + "/still", initialStatePath: path).run()
        let after = try SafetensorsArchive(contentsOf: directory + "/still/model.safetensors")
        #expect(after.names == RunOutputTests.stateDictNames)
        for name in ["layer1.weight", "layer1.bias", "bn1.weight", "bn1.bias", "layer2.weight", "bn2.bias", "layer3.weight", "layer3.bias"] {
            let a = try #require(after[name]), b = try #require(initial[name])
            #expect(TT.relativeDifference(a, b) <= 1e-6, "\(name) moved away from the PyTorch initial value")
        }
        #expect(after["bn1.num_batches_tracked"]?.element(0) == 6)
        // Running statistics: 0.9·PyTorch's + 0.1·batch; they moved, but stayed near PyTorch's.
        let mean = try #require(after["bn1.running_mean"]), initialMean = try #require(initial["bn1.running_mean"])
        #expect(!mean.bitwiseEqual(initialMean))

        // With the configured learning rate, a run from the file equals a Trainer given the same state,
        // and differs from a run from the config's own initialisation.
        let config = try Self.config()
        let fromFile = try TT.quietRun(config, in: directory + "/moving", initialStatePath: path).run()
        let model = try ModelBuilder.build(config)
        let state = try StateDictFile.read(path, for: model).model
        let trainer = try Trainer(config: config, data: PreparedData(config: config), initialState: state, initialSource: path)
        try trainer.step()
        #expect(StateDictFile.archive(model: trainer.model).paramsSHA256().hex == fromFile.paramsSHA256)
        let fromSeed = try TT.quietRun(config, in: directory + "/seed").run()
        #expect(fromSeed.paramsSHA256 != fromFile.paramsSHA256)
    }
}
