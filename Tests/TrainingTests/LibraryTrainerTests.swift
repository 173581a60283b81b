import Foundation
import Testing
import TensorCore
import Autograd
import NN
import Optim
import Datasets
import Distributed
import Checkpointing
import Config
@testable import Training

/// The library path: a trainer for a model, loss and data source of the caller's own, with batch
/// norm and dropout nested deep in the module tree, keeps the determinism contract — the same bits at
/// every world size, and after a resume at another one.
@Suite("library trainer")
struct LibraryTrainerTests {
    /// y = Σ x sin-ish features; each row a pure function of its index.
    struct Rows: DataSource {
        var count: Int { 480 }
        func batch(indices: ArraySlice<Int>) throws -> (inputs: Tensor, targets: Tensor) {
            let inputs = Tensor(uninitializedShape: [indices.count, 6]), targets = Tensor(uninitializedShape: [indices.count, 1])
            for (k, i) in indices.enumerated() {
                let key = RandomKey(seed: 3, stream: .syntheticData, a: 9, b: UInt32(i))
                var y = 0.0
                for j in 0..<6 {
                    let x = key.normal(at: UInt64(j))
                    inputs.floats[k * 6 + j] = Float(x)
                    y += Double(j + 1) * x * (j.isMultiple(of: 2) ? 1 : -0.5)
                }
                targets.floats[k] = Float(y)
            }
            return (inputs, targets)
        }
    }

    /// Batch norm and dropout inside a residual block inside a module of our own, not a flat Sequential.
    final class Nested: Module {
        let input: Linear, block: Residual, output: Linear

        override init() {
            let key = RandomKey(seed: 3, stream: .initialization)
            input = Linear(6, 16, key: key.with(a: 0))
            block = Residual(Sequential([("bn", BatchNorm1d(16)), ("act", ReLU()), ("drop", Dropout(p: 0.2, layerID: 7)),
                                         ("fc", Linear(16, 16, key: key.with(a: 1)))]))
            output = Linear(16, 1, key: key.with(a: 2))
            super.init()
            register(module: input, as: "input")
            register(module: block, as: "block")
            register(module: output, as: "output")
        }

        override func forward(_ x: Tensor) throws -> Tensor { try output(block(input(x))) }
    }

    static func trainer(_ model: Nested, _ comm: Communicator, distributed: DistributedConfig = DistributedConfig()) throws -> Trainer {
        try Trainer(model: model, data: Rows(), loss: { model, batch in
            try Loss.meanSquaredError(model(batch.inputs), batch.targets, reduction: .sum)
        }, optimizer: { try SGD(parameters: $0, lr: 0.01, momentum: 0.9, shard: $1) },
           schedule: ConstantSchedule(lr: 0.01), batch: BatchConfig(global: 48, micro: 8),
           options: TrainerOptions(seed: 5, distributed: distributed), communicator: comm)
    }

    /// The model's state after `steps` steps on `ranks` simulated ranks.
    static func state(ranks: Int, steps: Int, distributed: DistributedConfig = DistributedConfig()) throws -> [(name: String, tensor: Tensor)] {
        let states = try SimulatedWorld.run(ranks: ranks) { comm -> [(name: String, tensor: Tensor)] in
            let model = Nested()
            let trainer = try trainer(model, comm, distributed: distributed)
            for _ in 0..<steps { try trainer.step() }
            return model.stateDict()
        }
        return states[0]
    }

    @Test("nested batch norm and dropout: the same bytes on 1, 2, 3 and 6 ranks, with ZeRO-1 and overlap too")
    func sameBitsAtEveryWorldSize() throws {
        BLASThreads.set(1)
        let reference = try Self.state(ranks: 1, steps: 12)
        #expect(reference.map(\.name).contains("block.bn.running_mean"))
        var sharded = DistributedConfig()
        sharded.shardOptimizer = true
        sharded.overlap = .on
        for (ranks, distributed) in [(2, DistributedConfig()), (3, DistributedConfig()), (6, DistributedConfig()), (3, sharded)] {
            let state = try Self.state(ranks: ranks, steps: 12, distributed: distributed)
            for (a, b) in zip(reference, state) {
                #expect(a.name == b.name && a.tensor.bitwiseEqual(b.tensor), "\(a.name) differs at \(ranks) ranks")
            }
        }
        // The running statistics moved: the nested batch norm was found and updated every step.
        let runningMean = try #require(reference.first { $0.name == "block.bn.running_mean" }?.tensor)
        #expect((0..<runningMean.count).contains { runningMean.floats[$0] != 0 })
    }

    @Test("a checkpoint written on 2 ranks resumes on 3 with the uninterrupted bytes")
    func resumeAtAnotherWorldSize() throws {
        BLASThreads.set(1)
        let directory = try TT.temporaryDirectory("library-resume")
        defer { TT.remove(directory) }
        let uninterrupted = try Self.state(ranks: 1, steps: 10)
        _ = try SimulatedWorld.run(ranks: 2) { comm -> Int in
            let model = Nested()
            let trainer = try Self.trainer(model, comm)
            let checkpoints = CheckpointCallback(directory: CheckpointDirectory(path: directory, keep: 2), every: 4)
            try TrainingLoop(trainer: trainer, totalSteps: 4, callbacks: [checkpoints]).run()
            return 0
        }
        let resumed = try SimulatedWorld.run(ranks: 3) { comm -> [(name: String, tensor: Tensor)] in
            let model = Nested()
            let trainer = try Self.trainer(model, comm)
            let checkpoints = CheckpointCallback(directory: CheckpointDirectory(path: directory, keep: 2), every: 4)
            let first = try checkpoints.resume(trainer, totalSteps: 10)?.value ?? 0
            #expect(first == 4)
            try TrainingLoop(trainer: trainer, totalSteps: 10, firstStep: first, callbacks: [checkpoints]).run()
            return model.stateDict()
        }[0]
        for (a, b) in zip(uninterrupted, resumed) {
            #expect(a.name == b.name && a.tensor.bitwiseEqual(b.tensor), "\(a.name) differs after the resume")
        }
    }

    @Test("two dropout layers with one layerID are refused in one line naming both")
    func sharedDropoutIDsAreRefused() throws {
        let key = RandomKey(seed: 1, stream: .initialization)
        let model = Sequential([("a", Dropout(p: 0.1, layerID: 2)), ("fc", Linear(6, 1, key: key)), ("b", Dropout(p: 0.1, layerID: 2))])
        #expect(throws: TrainingError("dropout layers 'a' and 'b' share layerID 2: they would drop the same elements; give each its own")) {
            try Trainer(model: model, data: Rows(), loss: { model, batch in
                try Loss.meanSquaredError(model(batch.inputs), batch.targets, reduction: .sum)
            }, optimizer: { try SGD(parameters: $0, lr: 0.01, shard: $1) }, schedule: ConstantSchedule(lr: 0.01),
               batch: BatchConfig(global: 8, micro: 8))
        }
    }

    @Test("an early stop requested by a callback ends the loop after that step's callbacks")
    func requestStopEndsAfterTheStep() throws {
        final class StopAt: TrainingCallback {
            var seen: [Int] = []
            func stepDidEnd(_ result: StepResult, _ loop: TrainingLoop) throws {
                seen.append(result.step + 1)
                if result.step + 1 == 3 { loop.requestStop("enough") }
            }
        }
        let observer = StopAt()
        let loop = TrainingLoop(trainer: try Self.trainer(Nested(), LocalCommunicator()), totalSteps: 10, callbacks: [observer])
        try loop.run()
        #expect(observer.seen == [1, 2, 3] && loop.completedSteps == 3 && loop.stopReason == "enough")
    }
}
