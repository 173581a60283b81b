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

/// A small causal transformer language model trained on `SyntheticLanguage`, a hidden Markov model's
/// token stream whose best achievable next-token loss is known exactly (`bound`): the run prints its
/// validation loss beside that bound. The same program runs as one process, as `--ranks N` threads,
/// or under `mpirun -np N`, and ends with the same parameters, bit for bit, every way.
@main
struct TransformerLMExample: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "transformer-lm",
                                                    abstract: "Train a 2-layer GPT on a synthetic language with a known best loss.")

    @Option(help: "Simulated ranks (threads); leave out under mpirun.") var ranks: Int?
    @Option(help: "Optimizer steps.") var steps = 1500
    @Option(help: "Run folder: checkpoints, metrics.jsonl, model.safetensors.") var out = "runs/examples/transformer-lm"
    @Flag(help: "Continue from the newest checkpoint in the run folder.") var resume = false
    @Option(help: "Stop (with a checkpoint) after this many steps, as a preempted job would.") var stopAfter: Int?
    @Flag(help: "No live progress line.") var quiet = false

    static let seed: UInt64 = 7
    static let (vocabulary, context, width, heads, layers) = (64, 64, 64, 4, 2)

    func validate() throws {
        guard steps >= 2 else { throw ValidationError("--steps must be at least 2, got \(steps)") }
    }

    func run() throws {
        let language = try SyntheticLanguage(seed: Self.seed, vocabulary: Self.vocabulary)
        // 1,024 validation windows, then ~1M training tokens.
        let (training, validation) = try language.windows(context: Self.context, validationTokens: 1024 * Self.context + 1,
                                                          trainingTokens: 16_384 * Self.context + 1)
        let bound = try language.bound(windows: validation)
        let (steps, out, resume, stopAfter, quiet) = (self.steps, self.out, self.resume, self.stopAfter, self.quiet)
        let warmup = min(100, steps / 10)
        let result = try World.run(ranks: World.isMPILaunch ? nil : ranks) { comm in
            BLASThreads.set(1)
            let model = GPT(vocabulary: Self.vocabulary, context: Self.context, width: Self.width, heads: Self.heads,
                            layers: Self.layers, seed: Self.seed)
            let t = Double(Self.context)
            let trainer = try Trainer(
                model: model, data: TokenBatches(windows: training),
                // Each sample's loss is the mean over its positions; the trainer sums samples and divides by B.
                loss: { model, batch in
                    try Loss.crossEntropy(model(batch.inputs).reshape([-1, Self.vocabulary]), batch.targets.reshape([-1]),
                                          reduction: .sum) / t
                },
                optimizer: { try AdamW(parameters: $0, lr: 3e-3, betas: (0.9, 0.95), weightDecay: 0.1, shard: $1) },
                schedule: WarmupSchedule(warmupSteps: warmup, then: CosineSchedule(baseLR: 3e-3, minLR: 3e-4, totalSteps: steps - warmup)),
                batch: BatchConfig(global: 24, micro: 8), options: TrainerOptions(seed: Self.seed), communicator: comm)
            let checkpoints = CheckpointCallback(directory: CheckpointDirectory(path: out + "/checkpoints", keep: 2),
                                                 every: stopAfter ?? 500)
            let first = resume ? try checkpoints.resume(trainer, totalSteps: steps)?.value ?? 0 : 0
            let loop = TrainingLoop(trainer: trainer, totalSteps: steps, firstStep: first,
                                    callbacks: [ProgressCallback(every: 100, live: !quiet),
                                                MetricsCallback(path: out + "/metrics.jsonl", every: 100, resumes: resume),
                                                StopAfter(step: stopAfter), checkpoints])
            if comm.rank == 0 { try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true) }
            try loop.run()
            guard comm.rank == 0, loop.completedSteps == steps else { return nil as (world: Int, hash: String, loss: Double)? }
            let archive = StateDictFile.archive(model: model)
            try archive.write(to: out + "/model.safetensors")
            try writeLogits(model, validation, to: out + "/logits.safetensors")
            return (comm.worldSize, archive.paramsSHA256().hex, try validationLoss(model, validation))
        }
        guard let run = result ?? nil else { return }   // another rank, or stopped early
        print("example transformer-lm world \(run.world) params_sha256 \(run.hash) val_loss \(String(format: "%.4f", run.loss)) "
              + "bound \(String(format: "%.4f", bound)) via \(World.isMPILaunch ? "mpirun" : "threads")")
    }
}

/// Mean next-token cross-entropy over every position of the validation windows, in inference mode.
func validationLoss(_ model: GPT, _ windows: TokenWindows) throws -> Double {
    let data = TokenBatches(windows: windows)
    var sum = 0.0
    try inferenceMode {
        for start in stride(from: 0, to: data.count, by: 64) {
            let batch = try data.batch(indices: Array(start..<min(start + 64, data.count))[...])
            sum += try Loss.crossEntropy(model(batch.inputs).reshape([-1, TransformerLMExample.vocabulary]),
                                         batch.targets.reshape([-1]), reduction: .sum).item
        }
    }
    return sum / Double(data.count * windows.context)
}

/// The first four validation windows and the model's logits for them (inputs (4, T) int64, logits
/// (4, T, V)), for `transformer_lm_twin.py` to reproduce in PyTorch from model.safetensors.
func writeLogits(_ model: GPT, _ windows: TokenWindows, to path: String) throws {
    let batch = try TokenBatches(windows: windows).batch(indices: [0, 1, 2, 3][...])
    let logits = try inferenceMode { try model(batch.inputs) }
    try SafetensorsArchive(tensors: [("inputs", batch.inputs), ("logits", logits)]).write(to: path)
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
