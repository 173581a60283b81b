import Foundation
import Testing
import TensorCore
import Autograd
import NN
import Datasets
import Distributed
import Checkpointing
import Optim
import Config
import Training
import Introspection
import Benchmarks
@testable import LockstepCLI

// The ```swift blocks of the `///` comments in Config, Training, Introspection, Benchmarks and
// LockstepCLI, and those of Checkpointing that name Training's types, each compiled inside a function.

enum UpperExamples {
    static func jobStatus() {
        let status = JobStatus.status(for: TrainingError("no such file"), underLauncher: true)   // 78
        _ = status
    }

    static func configDocument(text: String) throws {
        let config = try ConfigDocument.decode(RunConfig.self, yaml: text, source: "run.yaml", overrides: ["train.steps=30"])
        _ = config
    }

    static func evaluation(model: Module, validation: TabularDataset) throws {
        let result = try Evaluator(loss: .bceWithLogits).evaluate(model, on: validation)
        print(result.auc!)
    }

    static func jsonOutput() throws {
        struct Point: Encodable { let x: Int }
        let line = try JSONOutput.line(Point(x: 1))      // {"x":1}
        _ = line
    }

    static func metricsLog() throws {
        let log = try MetricsLog(path: "runs/x/metrics.jsonl")
        try log.append(.train(TrainRecord(step: 10, loss: 0.41, learningRate: 0.1, samplesPerSecond: 9000, gradientNorm: nil)))
    }

    static func metricsRecord() throws {
        for record in try MetricsLog.read("runs/x/metrics.jsonl") {
            if case .eval(let eval) = record.event { print(eval.step, eval.validation.loss) }
        }
    }

    static func metric(encoder: Encoder, decoder: Decoder, loss: Double, auc: Double?) throws {
        let values = try decoder.container(keyedBy: JSONKey.self)
        var out = encoder.container(keyedBy: JSONKey.self)
        try out.encode(Metric(loss), forKey: "loss")       // 0.41, or null and "loss_undefined": "not finite (nan)"
        try out.encodeIfPresent(Metric(auc, undefined: "the data holds only one class"), forKey: "auc")
        let back = try values.decode(Metric.self, forKey: "loss").number   // NaN when it was undefined
        _ = back
    }

    static func libraryTrainer(model: Sequential, train: TabularDataset) throws {
        let trainer = try Trainer(model: model, data: train, loss: { model, batch in
            try Loss.meanSquaredError(model(batch.inputs), batch.targets, reduction: .sum)
        }, optimizer: { try SGD(parameters: $0, lr: 0.1, momentum: 0.9, shard: $1) },
           schedule: ConstantSchedule(lr: 0.1), batch: BatchConfig(global: 256, micro: 32))
        for _ in 0..<1_000 { print(try trainer.step().loss) }
    }

    static func callbacks(trainer: Trainer, model: Sequential, validation: TabularDataset, loop: TrainingLoop) throws {
        final class PrintLoss: TrainingCallback {
            func stepDidEnd(_ result: StepResult, _ loop: TrainingLoop) throws {
                if loop.isRankZero, (result.step + 1) % 100 == 0 { print(result.step + 1, result.loss) }
            }
        }
        func evaluate(_ model: Module) throws -> EvaluationResult { try Evaluator(loss: .bceWithLogits).evaluate(model, on: validation) }
        do {
            let loop = TrainingLoop(trainer: trainer, totalSteps: 5_000,
                                    callbacks: [ProgressCallback(), EvaluationCallback(every: 500) { try evaluate(model) }])
            try loop.run()
        }
        loop.callbacks.append(ProgressCallback(every: 10))
        loop.callbacks.append(MetricsCallback(path: "runs/x/metrics.jsonl", every: 10))
        loop.callbacks.append(TensorBoardCallback(directory: "runs/x/tensorboard", every: 10))
        do {
            let checkpoints = CheckpointCallback(directory: CheckpointDirectory(path: "runs/x/checkpoints", keep: 3), every: 500)
            let first = try checkpoints.resume(trainer, totalSteps: 5_000)?.value ?? 0
            let loop = TrainingLoop(trainer: trainer, totalSteps: 5_000, firstStep: first, callbacks: [checkpoints])
            _ = loop
        }
        let evaluation = EvaluationCallback(every: 100) { try Evaluator(loss: .bceWithLogits).evaluate(model, on: validation) }
        let best = BestCheckpointCallback(tracking: EarlyStopping(metric: "auc", patience: 3), stops: true,
                                          after: evaluation, bestPath: "runs/x/best.safetensors")
        _ = (PrintLoss(), best)
    }

    static func world() throws {
        @Sendable func train(on comm: Communicator) throws -> Double { Double(comm.worldSize) }
        let summary = try World.run(ranks: World.isMPILaunch ? nil : 4) { comm in
            try train(on: comm)      // the same program under mpirun, or as 4 threads here
        }
        _ = summary
    }

    static func dataSource() {
        struct Squares: DataSource {
            var count: Int { 1_000 }
            func batch(indices: ArraySlice<Int>) throws -> (inputs: Tensor, targets: Tensor) {
                let x = indices.map { Float($0) / 1_000 }
                return (Tensor(x, shape: [x.count, 1]), Tensor(x.map { $0 * $0 }, shape: [x.count, 1]))
            }
        }
        _ = Squares()
    }

    static func modelBuilder(config: RunConfig) throws {
        let model = try ModelBuilder.build(config)   // layer1, bn1, 2, 3, layer2, …
        _ = model
    }

    static func trainer(config: RunConfig) throws {
        let trainer = try Trainer(config: config, data: PreparedData(config: config))
        for _ in 0..<config.train.steps { let result = try trainer.step(); print(result.loss) }
    }

    static func trainingRun(config: RunConfig) throws {
        let summary = try TrainingRun(config: config, outputDirectory: "runs/x").run()
        _ = summary
    }

    static func capture(model: Module, x: Tensor) throws {
        model.eval()
        for (name, activation) in try ActivationCapture.capture(model, layers: ["bn1", "2"], input: x) {
            print(name, activation.shape)    // bn1 [512, 64], 2 [512, 64]
        }
    }

    static func report(model: Module, validationBatch: Tensor) throws {
        model.eval()
        let report = try ActivationReport.inspect(model, input: validationBatch)   // every layer
        print(ActivationReport.table(report))
    }

    static func gradcheck() throws {
        let (rows, _) = try GradientCheckSuite.checkOps()                   // the whole catalogue
        let relu = try GradientCheckSuite.checkOp("relu")                  // one op
        let model = try GradientCheckSuite.checkModel(RunConfig.load(path: "configs/clinical-mlp.yaml"))
        print(GradientCheckSuite.table(rows + model))
        _ = relu
    }

    static func shapeTrace(config: RunConfig, x: Tensor) throws {
        let model = try ModelBuilder.build(config)
        let rows = try ShapeTrace.run(model: model, input: x)   // x: (16, 20)
        print(ShapeTrace.table(rows, totalParameters: model.parameterCount))
        // layer1  Linear(20 → 64)  (16, 20) → (16, 64)  1344 …
    }

    static func allReduceBenchmark(comm: Communicator) throws {
        for row in try AllReduceBenchmark(communicator: comm).run() { print(row.line) }
    }

    static func memoryBenchmark(wide: RunConfig) throws {
        for r in try MemoryBenchmark(name: "wide-mlp", config: wide, batch: 256).run() { print(r.line) }
    }

    static func scalingBenchmark(wide: RunConfig, comm: Communicator) throws {
        let ms = try ScalingBenchmark(config: wide, perRankBatch: 256).stepMilliseconds(communicator: comm)
        _ = ms
    }

    static func stepBenchmark(config: RunConfig) throws {
        let r = try StepBenchmark(name: "wide-mlp", config: config, batch: 256).run(seconds: 2)
        print(r.microsecondsPerStep)
    }

    static func watchdog(comm: Communicator, run: TrainingRun) {
        let watchdog = Watchdog(timeout: 600, rank: comm.rank)
        run.onProgress = watchdog.beat
    }

    static func resourceEstimate(config: RunConfig) throws {
        try ResourceEstimate(config).check(replicas: 4)     // four simulated ranks in this process
    }

    static func restartSupervisor() throws {
        func train(ranks: Int, resume: Bool) throws -> Int { ranks }
        let supervisor = RestartSupervisor(maxRestarts: 1, minRanks: 2)
        let summary = try supervisor.run(ranks: 4) { attempt in
            try train(ranks: attempt.ranks, resume: attempt.restart.number > 0)
        }
        _ = summary
    }

    static func collapse(finalEvaluation: EvaluationResult?) {
        if let collapse = RunCollapse.judge(finalEvaluation) { print("warning: \(collapse)") }
    }

    static func sweep(config: RunConfig) throws {
        let sweep = try BatchSweep(config: config, batches: [256, 4096, 32768], optimizers: BatchSweep.presets(for: ["sgd", "lamb"], config: config), epochs: 30)
        let rows = try sweep.run(in: "runs/sweep") { print($0) }
        let report = SweepReport(rows: rows, metric: sweep.metric, tolerance: 0.005)
        _ = report
    }

    static func sweepReport(rows: [SweepRow]) {
        let report = SweepReport(rows: rows, metric: "auc", tolerance: 0.005)
        print(report.verdicts.joined(separator: "\n"))   // "lamb: largest batch within 0.005 of B=256's auc 0.8550: 65536"
    }
}

enum ResumeExamples {
    static func searchEnd(step: Int, totalSteps: Int, path: String) throws {
        guard step < totalSteps else { throw ResumeSearchEnd(TrainingError("\(path): the run already finished")) }
    }

    static func resume(checkpoints: CheckpointDirectory, trainer: Trainer) throws {
        // As TrainingRun's: loads the checkpoint into the trainer, returns the steps it had completed.
        func restore(_ trainer: Trainer, from path: String) throws -> Int {
            let metadata = try StateDictFile.restore(from: path, into: trainer.model, optimizer: trainer.optimizer)
            return Int(metadata["step"] ?? "") ?? 0
        }
        func log(_ line: String) { print(line) }
        if let resumed = try checkpoints.resume(using: { path in try restore(trainer, from: path) }) {
            log(resumed.report)   // resuming from run/checkpoints/step-00000010.safetensors (skipped 1 newer: …)
        }
    }

    static func stateDictFile(model: Module, optimizer: Optimizer) throws {
        let metadata = try StateDictFile.restore(from: "run/checkpoints/step-00000100.safetensors",
                                                 into: model, optimizer: optimizer)
        metadata["step"]   // "100"
    }
}
