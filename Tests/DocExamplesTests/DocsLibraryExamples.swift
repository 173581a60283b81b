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
import Training

// docs/library.md's walk-through, compiled, and run: its program ends with the same parameters on
// one rank and on three.

/// Daily sales of 20 stores: a store id, 4 measurements, and the sales to predict, each row a pure
/// function of (seed, row).
struct StoreSales: DataSource {
    let seed: UInt64
    let rows: Range<Int>
    var count: Int { rows.count }

    func batch(indices: ArraySlice<Int>) throws -> (inputs: Tensor, targets: Tensor) {
        let inputs = Tensor(uninitializedShape: [indices.count, 5]), targets = Tensor(uninitializedShape: [indices.count, 1])
        for (k, i) in indices.enumerated() {
            let key = RandomKey(seed: seed, stream: .syntheticData, a: 1, b: UInt32(rows.lowerBound + i))
            let store = Int(key.uniformDouble(at: 0) * 20)
            var sales = Double(store % 5)
            inputs.floats[k * 5] = Float(store)
            for j in 1..<5 {
                let x = key.normal(at: UInt64(j))
                inputs.floats[k * 5 + j] = Float(x)
                sales += 0.5 * Double(j) * x
            }
            targets.floats[k] = Float(sales + 0.1 * key.normal(at: 9))
        }
        return (inputs, targets)
    }
}

final class SalesModel: Module {
    let store: Embedding, hidden: Linear, output: Linear

    init(seed: UInt64) {
        let key = RandomKey(seed: seed, stream: .initialization)
        store = Embedding(20, 4, key: key.with(a: 0))
        hidden = Linear(4 + 4, 32, key: key.with(a: 1))
        output = Linear(32, 1, key: key.with(a: 2))
        super.init()
        register(module: store, as: "store")
        register(module: hidden, as: "hidden")
        register(module: output, as: "output")
    }

    /// (N, 5): store id, 4 measurements → (N, 1) predicted sales.
    override func forward(_ x: Tensor) throws -> Tensor {
        let n = x.shape[0]
        let stores = try store(x.slice(axis: 1, range: 0..<1)).reshape([n, 4])
        let features = try Tensor.concatenate([stores, x.slice(axis: 1, range: 1..<5)], axis: 1)
        return try output(hidden(features).relu())
    }
}

func makeTrainer(data: StoreSales, communicator: Communicator) throws -> (SalesModel, Trainer) {
    let model = SalesModel(seed: 1)
    let trainer = try Trainer(
        model: model, data: data,
        loss: { model, batch in try Loss.meanSquaredError(model(batch.inputs), batch.targets, reduction: .sum) },
        optimizer: { try AdamW(parameters: $0, lr: 3e-3, weightDecay: 0.01, shard: $1) },
        schedule: CosineSchedule(baseLR: 3e-3, minLR: 3e-4, totalSteps: 400),
        batch: BatchConfig(global: 128, micro: 32),
        options: TrainerOptions(seed: 1, gradClipNorm: 1.0),
        communicator: communicator)
    return (model, trainer)
}

func train(on communicator: Communicator, out: String) throws -> String? {
    let data = StoreSales(seed: 1, rows: 0..<20_000), validation = StoreSales(seed: 1, rows: 20_000..<22_000)
    let (model, trainer) = try makeTrainer(data: data, communicator: communicator)
    let checkpoints = CheckpointCallback(directory: CheckpointDirectory(path: out + "/checkpoints", keep: 2), every: 100)
    let first = try checkpoints.resume(trainer, totalSteps: 400)?.value ?? 0   // continue a stopped run
    let evaluation = EvaluationCallback(every: 100) {
        let batch = try validation.batch(indices: Array(0..<validation.count)[...])
        let loss = try inferenceMode { try Loss.meanSquaredError(model(batch.inputs), batch.targets).item }
        return EvaluationResult(loss: loss, samples: validation.count)
    }
    let loop = TrainingLoop(trainer: trainer, totalSteps: 400, firstStep: first, callbacks: [
        ProgressCallback(every: 20), MetricsCallback(path: out + "/metrics.jsonl", every: 20, resumes: first > 0),
        evaluation, checkpoints,
    ])
    if communicator.rank == 0 { try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true) }
    try loop.run()
    guard communicator.rank == 0 else { return nil }
    let weights = StateDictFile.archive(model: model)
    try weights.write(to: out + "/model.safetensors")    // safetensors.torch.load_file reads it
    return weights.paramsSHA256().hex
}

enum LibraryWalkthrough {
    static func run() throws {
        let hash = try World.run(ranks: World.isMPILaunch ? nil : 4) { comm in
            try train(on: comm, out: "runs/sales")
        }
        print(hash ?? nil ?? "")   // rank 0's params_sha256: the same for 1, 2, 3 or 4 ranks, threads or mpirun
    }
}

@Suite("docs/library.md's program")
struct LibraryWalkthroughTests {
    @Test("the walk-through's program trains and ends with the same params_sha256 on 1 and 3 ranks")
    func sameBitsOnOneAndThreeRanks() throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("library-walkthrough-\(getpid())").path
        defer { try? FileManager.default.removeItem(atPath: out) }
        BLASThreads.set(1)
        let one = try train(on: LocalCommunicator(), out: out + "/w1")
        let three = try SimulatedWorld.run(ranks: 3) { comm in try train(on: comm, out: out + "/w3") }.first ?? nil
        #expect(one != nil && one == three, "\(one ?? "nil") vs \(three ?? "nil")")
        let records = try MetricsLog.read(out + "/w1/metrics.jsonl")
        let losses = records.compactMap { record -> Double? in
            if case .eval(let eval) = record.event { return eval.validation.loss } else { return nil }
        }
        #expect(losses.count == 4 && losses.last! < losses.first! / 4, "validation losses \(losses)")
    }
}
