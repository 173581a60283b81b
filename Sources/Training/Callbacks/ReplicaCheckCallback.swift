/// Compares a digest of every replica's parameters and buffers with rank 0's every `every` steps and
/// after the last (a collective); a replica that differs stops every rank with one line.
public final class ReplicaCheckCallback: TrainingCallback {
    public let every: Int

    public init(every: Int) { self.every = every }

    public func stepDidEnd(_ result: StepResult, _ loop: TrainingLoop) throws {
        if loop.isDue(every: every, afterStep: result.step + 1) { try loop.trainer.checkReplicas() }
    }
}

extension FaultInjection: TrainingCallback {
    public func stepDidEnd(_ result: StepResult, _ loop: TrainingLoop) throws {
        try trigger(rank: loop.communicator.rank, afterStep: result.step + 1)
    }
}
