/// How one optimizer step's global batch is cut into micro-batches across ranks and accumulation steps.
///
/// With global batch `B`, micro-batch `m` and world size `W`, each rank runs `A = B / (m·W)` accumulation
/// steps. Step `t` (0-based) belongs to epoch `t / stepsPerEpoch` (`stepsPerEpoch = trainCount / B`; the
/// remainder of each epoch is dropped, so every step has exactly `B` samples) and takes positions
/// `[(t mod stepsPerEpoch)·B, +B)` of that epoch's permutation. Those `B` positions are cut into
/// `n = A·W` consecutive micro-batches of `m`; micro-batch `j = A·r + a` is rank `r`'s accumulation step
/// `a`, so each rank owns one contiguous block. Nothing here depends on `W` except who computes which
/// micro-batch: the ordered list of micro-batches is the same for every `(A, W)` with the same `A·W`.
///
/// ```swift
/// let plan = try BatchPlan(globalBatch: 256, microBatch: 32, worldSize: 2, trainCount: 16_000)
/// plan.accumulationSteps                                    // 4
/// let order = EpochPermutation(seed: 1).order(epoch: plan.epoch(ofStep: t), of: split.trainIndices)
/// let rows = plan.microBatchIndices(step: t, rank: 1, accumulationStep: 2, permutation: order)
/// let (x, y) = train.batch(indices: rows)
/// ```
public struct BatchPlan: Sendable, Hashable {
    /// `B`, samples per optimizer step over all ranks.
    public let globalBatch: Int
    /// `m`, samples per forward/backward pass.
    public let microBatch: Int
    /// `W`, the number of ranks.
    public let worldSize: Int
    /// Rows in the training set (the length of each epoch's permutation).
    public let trainCount: Int
    /// `A = B / (m·W)`, micro-batches each rank accumulates per step.
    public let accumulationSteps: Int

    public init(globalBatch: Int, microBatch: Int, worldSize: Int, trainCount: Int) throws(DatasetError) {
        guard globalBatch > 0 else { throw .invalidBatchPlan("global batch must be positive (got \(globalBatch))") }
        guard microBatch > 0 else { throw .invalidBatchPlan("micro-batch must be positive (got \(microBatch))") }
        guard worldSize > 0 else { throw .invalidBatchPlan("world size must be positive (got \(worldSize))") }
        let (perPass, overflow) = microBatch.multipliedReportingOverflow(by: worldSize)
        guard !overflow, globalBatch % perPass == 0 else {
            throw .invalidBatchPlan(
                "global batch \(globalBatch) is not divisible by micro \(microBatch) × world \(worldSize)")
        }
        guard globalBatch <= trainCount else {
            throw .invalidBatchPlan(
                "global batch \(globalBatch) is larger than the training set (\(trainCount) samples)")
        }
        self.globalBatch = globalBatch
        self.microBatch = microBatch
        self.worldSize = worldSize
        self.trainCount = trainCount
        self.accumulationSteps = globalBatch / perPass
    }

    /// `n = A·W`, micro-batches per optimizer step (the leaves of the gradient tree).
    public var microBatchesPerStep: Int { accumulationSteps * worldSize }
    /// Full global batches per epoch; the last `trainCount mod B` samples of each epoch's order are skipped.
    public var stepsPerEpoch: Int { trainCount / globalBatch }

    /// The epoch that step `step` (0-based) draws from.
    public func epoch(ofStep step: Int) -> Int {
        precondition(step >= 0, "negative step \(step)")
        return step / stepsPerEpoch
    }

    /// The index of step `step` within its epoch.
    public func stepInEpoch(_ step: Int) -> Int {
        precondition(step >= 0, "negative step \(step)")
        return step % stepsPerEpoch
    }

    /// `j = A·r + a`: which micro-batch of the step rank `r`'s accumulation step `a` computes.
    public func microBatchNumber(rank: Int, accumulationStep: Int) -> Int {
        precondition(rank >= 0 && rank < worldSize, "rank \(rank) out of range for world size \(worldSize)")
        precondition(accumulationStep >= 0 && accumulationStep < accumulationSteps,
                     "accumulation step \(accumulationStep) out of range for \(accumulationSteps)")
        return accumulationSteps * rank + accumulationStep
    }

    /// Positions of the epoch permutation that step `step` takes.
    public func stepPositions(step: Int) -> Range<Int> {
        let start = stepInEpoch(step) * globalBatch
        return start ..< start + globalBatch
    }

    /// Positions of the epoch permutation in rank `rank`'s accumulation step `accumulationStep` of `step`.
    public func microBatchPositions(step: Int, rank: Int, accumulationStep: Int) -> Range<Int> {
        let start = stepPositions(step: step).lowerBound
            + microBatchNumber(rank: rank, accumulationStep: accumulationStep) * microBatch
        return start ..< start + microBatch
    }

    /// The data-set indices of that micro-batch: `permutation` is the epoch's order of the training
    /// indices (`EpochPermutation.order(epoch: epoch(ofStep: step), of: trainIndices)`). Each element is
    /// the sample's global sample index, the number dropout keys its mask on.
    public func microBatchIndices(step: Int, rank: Int, accumulationStep: Int, permutation: [Int]) -> ArraySlice<Int> {
        precondition(permutation.count == trainCount,
                     "permutation has \(permutation.count) entries, the plan expects \(trainCount)")
        return permutation[microBatchPositions(step: step, rank: rank, accumulationStep: accumulationStep)]
    }

    /// The global sample index (its row in the data set) of sample `sample` (`0..<m`) of that micro-batch.
    public func globalSampleIndex(step: Int, rank: Int, accumulationStep: Int, sample: Int, permutation: [Int]) -> Int {
        precondition(sample >= 0 && sample < microBatch, "sample \(sample) out of range for micro-batch \(microBatch)")
        let rows = microBatchIndices(step: step, rank: rank, accumulationStep: accumulationStep, permutation: permutation)
        return rows[rows.startIndex + sample]
    }
}
