/// How one optimizer step's global batch is cut into micro-batches across ranks and accumulation steps.
///
/// With global batch `B` and micro-batch `m`, every step has `n = B / m` micro-batches, numbered
/// 0…n−1, whatever the world size `W` (1 ≤ W ≤ n). Rank `r` owns one contiguous block of them: with
/// `n = q·W + e`, ranks 0…e−1 take q + 1 and the others q, so the blocks differ by at most one; the
/// rank's accumulation step `a` computes micro-batch `j = start(r) + a`. Step `t` (0-based) belongs to
/// epoch `t / stepsPerEpoch` (`stepsPerEpoch = trainCount / B`; the remainder of each epoch is dropped,
/// so every step has exactly `B` samples) and takes positions `[(t mod stepsPerEpoch)·B, +B)` of that
/// epoch's permutation; micro-batch j is positions `[j·m, +m)` of those. Nothing here depends on `W`
/// except who computes which micro-batch: the ordered list of micro-batches is the same for every W.
///
/// ```swift
/// let plan = try BatchPlan(globalBatch: 384, microBatch: 32, worldSize: 5, trainCount: 16_000)
/// plan.microBatchesPerStep                                  // 12
/// plan.block(ofRank: 1)                                     // 3..<6  (blocks of 3, 3, 2, 2, 2)
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
    /// `n = B / m`, micro-batches per optimizer step (the leaves of the gradient tree).
    public let microBatchesPerStep: Int

    public init(globalBatch: Int, microBatch: Int, worldSize: Int, trainCount: Int) throws(DatasetError) {
        do {
            microBatchesPerStep = try Self.microBatches(globalBatch: globalBatch, microBatch: microBatch, worldSize: worldSize)
        } catch {
            throw .invalidBatchPlan(error)
        }
        guard globalBatch <= trainCount else { throw .invalidBatchPlan(.largerThanTrainingSet(globalBatch, trainCount: trainCount)) }
        self.globalBatch = globalBatch
        self.microBatch = microBatch
        self.worldSize = worldSize
        self.trainCount = trainCount
    }

    /// `n = B / m` when `B` and `m` are positive, `m` divides `B` and `1 ≤ W ≤ n`: the one place the
    /// batch arithmetic is checked, before any data is known (a config, a world size on the command line).
    public static func microBatches(globalBatch: Int, microBatch: Int, worldSize: Int) throws(Problem) -> Int {
        guard globalBatch > 0 else { throw .notPositive(.globalBatch, globalBatch) }
        guard microBatch > 0 else { throw .notPositive(.microBatch, microBatch) }
        guard worldSize > 0 else { throw .notPositive(.worldSize, worldSize) }
        guard globalBatch % microBatch == 0 else { throw .notDivisible(globalBatch, microBatch: microBatch) }
        let n = globalBatch / microBatch
        guard worldSize <= n else { throw .tooManyRanks(worldSize, microBatches: n, globalBatch: globalBatch, microBatch: microBatch) }
        return n
    }

    /// Why a batch cannot be planned, worded once (`message(global:micro:)`) in the terms of whoever
    /// reports it: `global batch` here, `batch.global` in a config.
    public enum Problem: Error, Sendable, Equatable, CustomStringConvertible {
        case notPositive(Size, Int)
        case notDivisible(Int, microBatch: Int)
        case tooManyRanks(Int, microBatches: Int, globalBatch: Int, microBatch: Int)
        case largerThanTrainingSet(Int, trainCount: Int)

        public func message(global: String = "global batch", micro: String = "micro-batch") -> String {
            switch self {
            case .notPositive(let size, let value):
                return "\(size == .globalBatch ? global : size == .microBatch ? micro : "world size") must be positive (got \(value))"
            case .notDivisible(let b, let m):
                return "\(global) \(b) is not divisible by \(micro) \(m)"
            case .tooManyRanks(let w, let n, let b, let m):
                return "world size \(w) exceeds the \(n) micro-batches per step (\(global) \(b) / \(micro) \(m)): use at most \(n) ranks"
            case .largerThanTrainingSet(let b, let count):
                return "\(global) \(b) is larger than the training set (\(count) samples)"
            }
        }

        public var description: String { message() }

        public enum Size: Sendable { case globalBatch, microBatch, worldSize }
    }

    /// The micro-batch numbers rank `rank` computes each step: `n = q·W + e`, ranks below `e` take q + 1.
    public func block(ofRank rank: Int) -> Range<Int> {
        precondition(rank >= 0 && rank < worldSize, "rank \(rank) out of range for world size \(worldSize)")
        let q = microBatchesPerStep / worldSize, extra = microBatchesPerStep % worldSize
        let start = rank * q + min(rank, extra)
        return start ..< start + q + (rank < extra ? 1 : 0)
    }

    /// Micro-batches rank `rank` accumulates per step (its block's length).
    public func accumulationSteps(rank: Int) -> Int { block(ofRank: rank).count }

    /// The most micro-batches any rank accumulates per step (rank 0's): `⌈n / W⌉`.
    public var accumulationSteps: Int { accumulationSteps(rank: 0) }

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

    /// `j = start(r) + a`: which micro-batch of the step rank `r`'s accumulation step `a` computes.
    public func microBatchNumber(rank: Int, accumulationStep: Int) -> Int {
        let block = block(ofRank: rank)
        precondition(accumulationStep >= 0 && accumulationStep < block.count,
                     "accumulation step \(accumulationStep) out of range for \(block.count)")
        return block.lowerBound + accumulationStep
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

    /// The same for any epoch order (a keyed one holds no list): the samples at the micro-batch's positions.
    public func microBatchIndices(step: Int, rank: Int, accumulationStep: Int, order: any EpochOrder) -> [Int] {
        microBatchPositions(step: step, rank: rank, accumulationStep: accumulationStep).map(order.sample(at:))
    }

    /// The global sample index (its row in the data set) of sample `sample` (`0..<m`) of that micro-batch.
    public func globalSampleIndex(step: Int, rank: Int, accumulationStep: Int, sample: Int, permutation: [Int]) -> Int {
        precondition(sample >= 0 && sample < microBatch, "sample \(sample) out of range for micro-batch \(microBatch)")
        let rows = microBatchIndices(step: step, rank: rank, accumulationStep: accumulationStep, permutation: permutation)
        return rows[rows.startIndex + sample]
    }
}
