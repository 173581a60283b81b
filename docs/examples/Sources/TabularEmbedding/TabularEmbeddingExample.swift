import ArgumentParser
import Foundation
import TensorCore
import Autograd
import NN
import Optim
import Datasets
import Distributed
import Checkpointing
import Config
import Training

/// A residual MLP with embedded categorical columns on synthetic admissions whose true readmission
/// probabilities are known: the run prints its validation loss beside the best achievable one. The
/// same program runs as one process, as `--ranks N` threads, or under `mpirun -np N`, and ends with
/// the same parameters, bit for bit, every way.
@main
struct TabularEmbeddingExample: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "tabular-embedding",
                                                    abstract: "Train a residual MLP with site and ward embeddings on synthetic admissions.")

    @Option(help: "Simulated ranks (threads); leave out under mpirun.") var ranks: Int?
    @Option(help: "Optimizer steps.") var steps = 600
    @Option(help: "Run folder: checkpoints, metrics.jsonl, model.safetensors.") var out = "runs/examples/tabular-embedding"
    @Flag(help: "Continue from the newest checkpoint in the run folder.") var resume = false
    @Option(help: "Stop (with a checkpoint) after this many steps, as a preempted job would.") var stopAfter: Int?
    @Flag(help: "No live progress line.") var quiet = false

    static let seed: UInt64 = 11

    func run() throws {
        let training = Admissions(seed: Self.seed, rows: 0..<40_000), validation = Admissions(seed: Self.seed, rows: 40_000..<50_000)
        let bound = validation.bestLoss()
        let (steps, out, resume, stopAfter, quiet) = (self.steps, self.out, self.resume, self.stopAfter, self.quiet)
        let result = try World.run(ranks: World.isMPILaunch ? nil : ranks) { comm in
            BLASThreads.set(1)
            let model = ResidualTabular(seed: Self.seed)
            let trainer = try Trainer(
                model: model, data: training,
                loss: { model, batch in try readmissionLoss(logits: model(batch.inputs), labels: batch.targets) },
                optimizer: { try AdamW(parameters: $0, lr: 2e-3, weightDecay: 0.01, shard: $1) },
                schedule: CosineSchedule(baseLR: 2e-3, minLR: 2e-4, totalSteps: steps),
                batch: BatchConfig(global: 256, micro: 64), options: TrainerOptions(seed: Self.seed), communicator: comm)
            let checkpoints = CheckpointCallback(directory: CheckpointDirectory(path: out + "/checkpoints", keep: 2),
                                                 every: stopAfter ?? 200)
            let first = resume ? try checkpoints.resume(trainer, totalSteps: steps)?.value ?? 0 : 0
            let loop = TrainingLoop(trainer: trainer, totalSteps: steps, firstStep: first,
                                    callbacks: [ProgressCallback(every: 50, live: !quiet),
                                                MetricsCallback(path: out + "/metrics.jsonl", every: 50, resumes: resume),
                                                StopAfter(step: stopAfter), checkpoints])
            if comm.rank == 0 { try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true) }
            try loop.run()
            guard comm.rank == 0, loop.completedSteps == steps else { return nil as (world: Int, hash: String, loss: Double)? }
            let archive = StateDictFile.archive(model: model)
            try archive.write(to: out + "/model.safetensors")
            let batch = try validation.batch(indices: Array(0..<validation.count)[...])
            let loss = try inferenceMode { try readmissionLoss(logits: model(batch.inputs), labels: batch.targets).item }
            return (comm.worldSize, archive.paramsSHA256().hex, loss / Double(validation.count))
        }
        guard let run = result ?? nil else { return }   // another rank, or stopped early
        print("example tabular-embedding world \(run.world) params_sha256 \(run.hash) val_loss \(String(format: "%.4f", run.loss)) "
              + "bound \(String(format: "%.4f", bound)) via \(World.isMPILaunch ? "mpirun" : "threads")")
    }
}

/// Ends training after `step` steps (nil: never), as a preemption would: the checkpoint callback
/// after it writes that step's checkpoint, and `--resume` continues from it.
final class StopAfter: TrainingCallback {
    let step: Int?
    init(step: Int?) { self.step = step }
    func stepDidEnd(_ result: StepResult, _ loop: TrainingLoop) throws {
        if let step, result.step + 1 == step { loop.requestStop("stopped after step \(step)") }
    }
}
