import Checkpointing

/// Checkpoints every `every` steps — the whole optimizer state, gathered from every rank's shard under
/// ZeRO-1, written by rank 0 — and on a stop signal every rank agreed on (`StepResult.stopSignal`): a
/// checkpoint of the step just done, then `RunInterrupted` on every rank, so that `--resume`
/// continues bit for bit. A run that a callback is already ending (early stopping) just ends.
///
/// ```swift
/// loop.callbacks.append(CheckpointCallback(directory: CheckpointDirectory(path: "runs/x/checkpoints", keep: 3), every: 500))
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
}
