import Checkpointing
import TensorCore

/// Checkpoints every `every` steps — the whole optimizer state, gathered from every rank's shard under
/// ZeRO-1, written by rank 0 — and on a stop signal every rank agreed on (`StepResult.stopSignal`): a
/// checkpoint of the step just done, then `RunInterrupted` on every rank, so that `--resume`
/// continues bit for bit. A run that a callback is already ending (early stopping) just ends.
///
/// `resume` restores the newest checkpoint that loads, so that a stopped or failed run continues
/// where it was, at any world size, with the bits of an uninterrupted one.
///
/// ```swift
/// let checkpoints = CheckpointCallback(directory: CheckpointDirectory(path: "runs/x/checkpoints", keep: 3), every: 500)
/// let first = try checkpoints.resume(trainer, totalSteps: 5_000)?.value ?? 0
/// let loop = TrainingLoop(trainer: trainer, totalSteps: 5_000, firstStep: first, callbacks: [checkpoints])
/// ```
public final class CheckpointCallback: TrainingCallback {
    public let directory: CheckpointDirectory
    public let every: Int
    /// The metadata a checkpoint after `step` steps carries (the run's config and seed, …).
    public var metadata: (Int) -> [String: String] = { ["step": String($0)] }

    public init(directory: CheckpointDirectory, every: Int) {
        (self.directory, self.every) = (directory, every)
    }

    public func stepDidEnd(_ result: StepResult, _ loop: TrainingLoop) throws {
        let done = result.step + 1
        let due = every > 0 && done % every == 0
        if due {
            try loop.timeline.record(.checkpoint, step: done) { try save(loop.trainer, step: done) }
            loop.heartbeat()
        }
        if done < loop.totalSteps, loop.stopReason == nil, let signal = result.stopSignal {
            if !due { try save(loop.trainer, step: done) }
            try loop.communicator.barrier()   // the checkpoint exists before any rank reports it
            throw RunInterrupted(step: done, signal: signal, checkpoint: directory.path + "/" + CheckpointDirectory.fileName(step: done))
        }
    }

    /// Called by every rank: under optimizer sharding the state is gathered first (a collective);
    /// rank 0 then writes the one file.
    public func save(_ trainer: Trainer, step: Int) throws {
        let optimizerState = try trainer.optimizerStateForCheckpoint()
        guard trainer.communicator.rank == 0 else { return }
        let archive = StateDictFile.archive(model: trainer.model, optimizerState: optimizerState, metadata: metadata(step))
        try directory.save(archive, step: step)
    }

    /// Restores the newest checkpoint of `directory` that loads into `trainer` — parameters, buffers,
    /// optimizer state and step — and returns it (nil when there is none). A file that does not read
    /// (damaged, truncated, failing its digests) is passed over for the next older one; a file that
    /// reads but does not fit this run — `check(metadata, path)` refuses it (another config, say), its
    /// step is outside `1..<totalSteps`, or its optimizer counters contradict its step — ends the
    /// search with its own error (`ResumeSearchEnd`): damage cannot explain it, and an older
    /// checkpoint would hide it.
    public func resume(_ trainer: Trainer, totalSteps: Int, verify: Bool = true,
                       check: ([String: String], String) throws -> Void = { _, _ in }) throws -> ResumedCheckpoint<Int>? {
        try directory.resume { path in
            let state = try StateDictFile.read(path, for: trainer.model, verify: verify)
            do {
                guard let stepText = state.metadata["step"], let step = Int(stepText) else {
                    throw TrainingError("\(path): checkpoint metadata has no step")
                }
                try check(state.metadata, path)
                guard step >= 1, step <= totalSteps else {
                    throw TrainingError("\(path): checkpoint step \(step) is outside this run's steps 1…\(totalSteps)")
                }
                guard step < totalSteps else {
                    throw TrainingError("\(path): the run already finished (checkpoint at step \(step) = train.steps); there is nothing to resume")
                }
                try Self.checkStepCounters(state.optimizer, step: step, source: path)
                try StateDictFile.apply(state, from: path, to: trainer.model, optimizer: trainer.optimizer)
                trainer.resume(atStep: step)
                return step
            } catch {
                throw ResumeSearchEnd(error)
            }
        }
    }

    /// Every parameter gets a gradient at every step (absent ones are zero-filled), so each optimizer
    /// `step` counter must equal the checkpoint's step: a file whose metadata says otherwise was edited
    /// or mixed from two checkpoints, and resuming it would silently change the result.
    static func checkStepCounters(_ optimizer: [String: Tensor], step: Int, source: String) throws {
        for (name, tensor) in optimizer.sorted(by: { $0.key < $1.key }) where name.hasSuffix(".step") {
            guard tensor.dtype == .int64, tensor.count == 1 else { continue }   // loadState reports the shape
            let counter = tensor.rawPointer.load(as: Int64.self)
            guard counter == Int64(step) else {
                throw TrainingError("\(source): optimizer counter \(name) is \(counter), but the checkpoint is at step \(step)")
            }
        }
    }
}
