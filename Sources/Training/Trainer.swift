import Foundation
import TensorCore
import Autograd
import NN
import Optim
import Datasets
import Distributed
import Config

/// What one optimizer step measured.
public struct StepResult: Sendable {
    /// 0-based index of the step just taken.
    public let step: Int
    /// Mean per-sample training loss over the global batch.
    public let loss: Double
    public let learningRate: Double
    /// Global gradient L2 norm before clipping (when clipping is on).
    public let gradientNorm: Double?
    public let seconds: Double
    /// A stop that some rank's process asked for during the step (`Trainer.stopRequest`), agreed by
    /// all ranks: SIGTERM if any rank had one, else SIGINT if any had that, else nil.
    public var stopSignal: Int32? = nil
}

/// The training loop of one rank, following the determinism contract (docs/architecture.md):
/// each micro-batch of the rank's block runs forward and backward with a summed loss; their flat
/// gradients fold into the block's fragments of the canonical tree over the step's n micro-batches;
/// the deterministic allreduce adds the fragments of all ranks in the same tree (`GradientSynchronizer`:
/// after backward, or bucket by bucket during it with `distributed.overlap`, and only this rank's
/// shard with `distributed.shard_optimizer`); the sum is scaled by 1/B and the optimizer steps.
/// Batch-norm statistics and the loss ride along in a small second vector combined the same way, so
/// the running statistics and the reported loss are also independent of how the global batch was
/// split; the ranks' stop votes (`StopVote`) and `overlap: auto`'s step times (`OverlapTrial`) use it
/// too, so agreeing on them costs no collective of its own.
///
/// ```swift
/// let trainer = try Trainer(config: config, data: PreparedData(config: config))
/// for _ in 0..<config.train.steps { let result = try trainer.step(); print(result.loss) }
/// ```
public final class Trainer {
    public let config: RunConfig
    public let communicator: Communicator
    public let model: Sequential
    public let data: PreparedData
    public let plan: BatchPlan
    public let optimizer: Optimizer
    public let schedule: LRSchedule
    public let flat: FlatParameters
    /// Completed optimizer steps.
    public private(set) var completedSteps = 0
    /// Timestamps of each step's phases when attached (`lockstep bench scaling`, `--timeline`); nil
    /// costs one check per phase and reads no clock.
    public var timeline: StepTimeline? {
        didSet { attachLayerSpans() }
    }

    let evaluator: Evaluator
    let batchNorms: [BatchNorm1d]
    /// Folds, buckets and reduces the gradients (and shards them under ZeRO-1).
    public let gradientSync: GradientSynchronizer
    public var reducer: GradientReducer { gradientSync.reducer }
    /// Each parameter tensor's index in the flat buffer, for backward's final-gradient reports.
    let parameterIndex: [ObjectIdentifier: Int]
    /// Each parameter's layer (index in `model.layers`), and each layer's parameter elements: a
    /// layer's backward span ends when the last of its gradient elements is final.
    let layerOfParameter: [Int]
    let elementsPerLayer: [Int]
    private var pendingLayerElements: [Int] = []
    private var layerHooks: [HookHandle] = []
    /// What the rank's own process wants of the run (`TrainingRun.stopRequest`): a signal number, or
    /// nil. Read once per step; the ranks' votes ride in the statistics vector (`StepResult.stopSignal`).
    public var stopRequest: () -> Int32? = { nil }
    /// `distributed.overlap: auto` with something to overlap: the first steps' timing, then the choice.
    private var overlapTrial: OverlapTrial?
    /// Where the trial's two slots sit in the statistics vector (before the stop votes).
    private let overlapTrialOffset: Int
    /// What `distributed.overlap: auto` chose, once its trial steps are done (nil before, and for
    /// `true`/`false`).
    public var overlapChoice: OverlapChoice? { overlapTrial?.choice }
    let statisticsSum: BlockAccumulator
    let statistics: Tensor           // (S): [loss sum, per BN: mean (C), variance (C), mean² (C), overlap trial (2, auto), stop votes (2)]
    var permutation: (epoch: Int, order: [Int])?
    /// The loss of this trainer's first step: the scale against which divergence is judged.
    var firstLoss: Double?

    /// `positiveWeight` overrides the config's `loss.pos_weight` (`config.positiveWeight`) when given.
    public init(config: RunConfig, data: PreparedData, communicator: Communicator = LocalCommunicator(),
                initialState: [String: Tensor]? = nil, initialSource: String = "initial state",
                positiveWeight: Double? = nil) throws {
        self.config = config
        self.communicator = communicator
        self.data = data
        plan = try BatchPlan(globalBatch: config.batch.global, microBatch: config.batch.micro,
                             worldSize: communicator.worldSize, trainCount: data.train.count)
        model = try ModelBuilder.build(config)
        if let initialState { try model.loadStateDict(initialState, source: initialSource) }
        model.train()
        batchNorms = model.namedModules().compactMap { $0.module as? BatchNorm1d }
        for bn in batchNorms { bn.defersRunningStatistics = true }
        flat = FlatParameters(model)
        parameterIndex = Dictionary(uniqueKeysWithValues: flat.entries.enumerated().map { (ObjectIdentifier($1.tensor), $0) })
        var layerOf: [ObjectIdentifier: Int] = [:]
        for (l, layer) in model.layers.enumerated() {
            for p in layer.module.parameters() { layerOf[ObjectIdentifier(p)] = l }
        }
        let layerOfParameter = flat.entries.map { layerOf[ObjectIdentifier($0.tensor)] ?? 0 }
        self.layerOfParameter = layerOfParameter
        let entries = flat.entries
        elementsPerLayer = model.layers.indices.map { l in
            zip(layerOfParameter, entries).reduce(0) { $0 + ($1.0 == l ? $1.1.range.count : 0) }
        }
        let distributed = config.distributed
        let shards = distributed.shardOptimizer
            ? ParameterShards(count: flat.values.count, worldSize: communicator.worldSize, alignment: GradientNorm.blockSize)
            : nil
        optimizer = try OptimizerFactory.makeOptimizer(config, parameters: model.namedParameters(),
                                                       shard: shards?.shard(ofRank: communicator.rank))
        schedule = try OptimizerFactory.makeSchedule(config)
        evaluator = Evaluator(loss: config.loss, positiveWeight: positiveWeight ?? config.positiveWeight)
        let tree = CanonicalTree(leaves: plan.microBatchesPerStep)
        let fragments = tree.fragments(of: plan.block(ofRank: communicator.rank))
        let buckets = distributed.overlap != .off ? Self.gradientBuckets(flat, distributed) : GradientBuckets(wholeBufferOf: flat.gradientParts)
        gradientSync = GradientSynchronizer(mode: distributed.reduction, communicator: communicator, gradients: flat.gradients,
                                            leaves: plan.microBatchesPerStep, fragments: fragments, buckets: buckets,
                                            overlap: distributed.overlap != .off, shards: shards)
        overlapTrial = distributed.overlap == .auto && gradientSync.canOverlap ? OverlapTrial() : nil
        overlapTrialOffset = 1 + batchNorms.reduce(0) { $0 + 3 * $1.features }
        let statisticsLength = overlapTrialOffset + (overlapTrial == nil ? 0 : OverlapTrial.slots) + StopVote.slots
        statistics = Tensor.zeros([statisticsLength])
        statisticsSum = BlockAccumulator(length: statisticsLength, fragments: fragments)
    }

    /// Bytes of the statistics vector reduced with the gradients each step (loss, batch-norm
    /// statistics, stop votes).
    public var statisticsBytes: Int { statistics.byteCount }

    /// The gradient buckets `distributed.overlap` reduces during backward, cut at the parts backward
    /// writes and at module starts, sized by `bucket_mb` and `first_bucket_mb`.
    public static func gradientBuckets(_ flat: FlatParameters, _ distributed: DistributedConfig) -> GradientBuckets {
        GradientBuckets(segments: flat.gradientParts, bucketMB: distributed.bucketMB, firstBucketMB: distributed.firstBucketMB,
                        layerStarts: flat.moduleStarts)
    }

    /// Runs one optimizer step over the next global batch.
    @discardableResult
    public func step() throws -> StepResult {
        let start = DispatchTime.now().uptimeNanoseconds
        let t = completedSteps
        let order = epochOrder(step: t)
        let accumulation = plan.accumulationSteps(rank: communicator.rank)
        timeline?.beginStep(t)
        let lr = schedule.learningRate(atStep: t)
        var norm: Double?
        if let overlapTrial { gradientSync.overlapEnabled = overlapTrial.overlapsNextStep }

        do {
            for a in 0..<accumulation {
                let isLast = a == accumulation - 1
                let indices = plan.microBatchIndices(step: t, rank: communicator.rank, accumulationStep: a, permutation: order)
                let (x, y) = data.train.batch(indices: indices)          // (m, F), targets
                optimizer.zeroGrad()
                let context = SampleContext(seed: config.seed, step: t, sampleIndices: Array(indices))
                timeline?.mark(.other)
                timeline?.recordsLayers = true
                defer { timeline?.recordsLayers = false }
                let loss = try SampleContext.$current.withValue(context) {
                    try evaluator.lossValue(model(x), y, reduction: .sum)   // Σ over the micro-batch
                }
                timeline?.mark(.forward)
                let reportsFinal = gradientSync.beginBackward(isLast: isLast)
                let layerSpans = timeline != nil
                if layerSpans { pendingLayerElements = elementsPerLayer }
                try loss.backward(onLeafGradientFinal: reportsFinal || layerSpans ? { leaf, elements in
                    guard let p = self.parameterIndex[ObjectIdentifier(leaf)] else { return }   // not a parameter
                    let start = self.flat.entries[p].range.lowerBound
                    if reportsFinal { self.gradientSync.elementsFinal(start + elements.lowerBound ..< start + elements.upperBound) }
                    if layerSpans { self.layerGradientFinal(parameter: p, elements: elements.count) }
                } : nil)
                flat.bindGradients()
                gradientSync.endBackward(isLast: isLast)
                timeline?.mark(.backward)
                recordStatistics(loss: loss.item)
                overlapTrial?.record(into: statistics, at: overlapTrialOffset, isLast: isLast)
                StopVote.record(isLast ? stopRequest() : nil, into: statistics)
                if accumulation > 1 { statisticsSum.add(statistics) }
            }
            timeline?.mark(.other)
            norm = try reduceAndUpdate(learningRate: lr)
        } catch {
            gradientSync.abandon()
            statisticsSum.reset()
            throw error
        }
        timeline?.addConcurrent(.bucketReduction, gradientSync.bucketSpans)
        // A block of one micro-batch is its own fragment: the vector is reduced as it is.
        let statisticsFragments = accumulation > 1 ? statisticsSum.fragmentBuffers : [statistics.floats]
        try reducer.reduce(fragments: statisticsFragments, leaves: plan.microBatchesPerStep,
                           into: UnsafeMutableBufferPointer(start: statistics.floats, count: statistics.count))
        statisticsSum.reset()
        try gradientSync.gatherShards(of: flat.values)     // ZeRO-1: every rank's updated shard to all
        timeline?.mark(.reduction)
        applyRunningStatistics()
        completedSteps += 1
        let loss = Double(statistics.floats[0]) / Double(plan.globalBatch)
        if firstLoss == nil { firstLoss = loss }
        // A loss a million times its starting value (or above 1e6 when it started below 1) is divergence
        // as surely as an infinite one: lr = 1e30 otherwise "trains" to a loss of 5e29 and exits 0.
        let bound = 1e6 * max(firstLoss ?? 1, 1)
        guard loss.isFinite, loss <= bound else {
            let value = loss.isNaN ? "NaN" : loss.isFinite ? String(format: "%.3g, over the bound %.3g (10⁶ × the first step's loss)", loss, bound) : "\(loss)"
            throw TrainingError("training diverged at step \(t + 1): the loss is \(value); lower optimizer.lr or enable train.grad_clip_norm")
        }
        timeline?.endStep()
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        overlapTrial?.stepFinished(seconds: seconds, reduced: statistics, at: overlapTrialOffset, ranks: communicator.worldSize)
        return StepResult(step: t, loss: loss, learningRate: lr, gradientNorm: norm, seconds: seconds,
                          stopSignal: StopVote.agreed(statistics))
    }

    /// Waits for the summed gradients G = T(g) (this rank's shard of them under ZeRO-1) and takes the
    /// optimizer step with G/B. Without clipping, 1/B is fused into the update, and with overlap each
    /// bucket is updated as soon as its reduction completes, while later buckets are still reduced;
    /// clipping needs the norm of all of G/B first. Every update is elementwise: the bits are the same
    /// on every path. Returns the gradient norm when clipping.
    private func reduceAndUpdate(learningRate lr: Double) throws -> Double? {
        let owned = gradientSync.ownedElements
        let scale = 1 / Double(plan.globalBatch)
        optimizer.learningRate = lr
        if let maxNorm = config.train.gradClipNorm {
            try gradientSync.finish()
            timeline?.mark(.reduction)
            flat.gradients.elements(owned).scaleInPlace(scale)           // G / B
            let norm = try clipGradients(owned, maxNorm: maxNorm)
            try optimizer.step(elements: owned, gradientScale: 1)
            timeline?.mark(.optimizer)
            return norm
        }
        guard gradientSync.overlaps else {
            try gradientSync.finish()
            timeline?.mark(.reduction)
            try optimizer.step(elements: owned, gradientScale: scale)
            timeline?.mark(.optimizer)
            return nil
        }
        for (k, bucket) in gradientSync.buckets.ranges.enumerated() {
            try gradientSync.waitForBucket(k)
            timeline?.mark(.reduction)
            try optimizer.step(elements: bucket.clamped(to: owned), gradientScale: scale)
            timeline?.mark(.optimizer)
        }
        try gradientSync.finish()
        return nil
    }

    /// With a timeline, names its layers and times each one's forward (a forward hook per layer of
    /// the model); without, removes the hooks.
    private func attachLayerSpans() {
        for hook in layerHooks { hook.remove() }
        layerHooks = []
        guard let timeline else { return }
        timeline.labels = model.layers.map { "\($0.name) \($0.module.summary)" }
        for (l, layer) in model.layers.enumerated() {
            layerHooks.append(layer.module.registerForwardHook { [weak timeline] _, _, _ in
                timeline?.markLayer(.layerForward, label: l)
            })
        }
    }

    /// Backward has finished `elements` of parameter `p`'s gradient: the end of its layer's backward
    /// span once the layer has no element left.
    private func layerGradientFinal(parameter p: Int, elements: Int) {
        let l = layerOfParameter[p]
        pendingLayerElements[l] -= elements
        if pendingLayerElements[l] == 0 { timeline?.markLayer(.layerBackward, label: l) }
    }

    /// `clipGradNorm` over the summed gradients, of which this rank holds `owned`: with a shard, the
    /// norm's block sums are computed per shard and gathered, so every rank gets the unsharded bits.
    private func clipGradients(_ owned: Range<Int>, maxNorm: Double) throws -> Double {
        guard let shards = gradientSync.shards else {
            return clipGradNorm(flatGradients: flat.gradients, maxNorm: maxNorm)
        }
        let b = GradientNorm.blockSize
        let blocks = { (r: Int) -> Range<Int> in
            let shard = shards.shard(ofRank: r)
            return shard.lowerBound / b ..< (shard.upperBound + b - 1) / b
        }
        var sums = [Double](repeating: 0, count: (flat.gradients.count + b - 1) / b)
        let mine = GradientNorm.blockSquaredSums(flat.gradients, elements: owned)
        sums.replaceSubrange(blocks(communicator.rank), with: mine)
        try sums.withUnsafeMutableBytes { bytes in
            try gradientSync.allGather(bytes: bytes) { r in blocks(r).lowerBound * 8 ..< blocks(r).upperBound * 8 }
        }
        let total = GradientNorm.total(sums).squareRoot()
        let coefficient = GradientNorm.clipCoefficient(total: total, maxNorm: maxNorm)
        if coefficient != 1 { GradientNorm.scale(flat.gradients, owned, by: coefficient) }
        return total
    }

    /// The optimizer's whole state, as an unsharded run holds it (gathered from every rank's shard
    /// under ZeRO-1, so that checkpoints do not depend on sharding). Every rank must call it.
    public func optimizerStateForCheckpoint() throws -> [(name: String, tensor: Tensor)] {
        guard let shards = gradientSync.shards else { return optimizer.stateTensors() }
        return try optimizer.gatheredStateTensors(shards: (0..<communicator.worldSize).map(shards.shard(ofRank:))) {
            try gradientSync.allGather(bytes: $0, part: $1)
        }
    }

    /// Copies rank 0's parameters and buffers to every rank, so that all replicas start identical
    /// whatever each one loaded or initialised.
    public func broadcastState() throws {
        guard communicator.worldSize > 1 else { return }
        try communicator.broadcast(UnsafeMutableRawBufferPointer(start: flat.values.rawPointer, count: flat.values.byteCount), root: 0)
        for (_, buffer) in model.namedBuffers() {
            try communicator.broadcast(UnsafeMutableRawBufferPointer(start: buffer.rawPointer, count: buffer.byteCount), root: 0)
        }
    }

    /// Compares a digest of this replica's parameters and buffers with rank 0's on every rank; throws
    /// (on every rank alike) when any replica differs.
    public func checkReplicas() throws {
        let digest = ReplicaDigest.hash(model.stateDict().map(\.tensor))
        let diverged = try ReplicaDigest.mismatchedRanks(digest, over: communicator)
        guard diverged.isEmpty else {
            let ranks = diverged.map(String.init).joined(separator: ", ")
            throw TrainingError("replicas diverged after step \(completedSteps): the parameters of rank\(diverged.count > 1 ? "s" : "") \(ranks) differ from rank 0's")
        }
    }

    /// Continues from a checkpoint that had completed `step` steps (its state already loaded).
    public func resume(atStep step: Int) {
        completedSteps = step
    }

    /// Validation metrics of the current parameters.
    public func evaluate() throws -> EvaluationResult {
        try evaluator.evaluate(model, on: data.validation)
    }

    /// The epoch permutation for step `t`, computed once per epoch.
    private func epochOrder(step t: Int) -> [Int] {
        let epoch = plan.epoch(ofStep: t)
        if let p = permutation, p.epoch == epoch { return p.order }
        let order = EpochPermutation(seed: config.seed, shuffle: config.data.shuffle)
            .positions(epoch: epoch, count: data.train.count)
        permutation = (epoch, order)
        return order
    }

    /// Writes this micro-batch's loss sum and batch-norm statistics into `statistics`.
    private func recordStatistics(loss: Double) {
        let s = statistics.floats
        s[0] = Float(loss)
        var offset = 1
        for bn in batchNorms {
            let taken = bn.takePendingStatistics()
            precondition(taken.count == 1, "a batch norm ran \(taken.count) times in one micro-batch")
            let c = bn.features, statistics = taken[0]
            // The tensors must outlive the raw pointers read from them.
            withExtendedLifetime(statistics) {
                let mean = statistics.mean.floats, variance = statistics.variance.floats
                for j in 0..<c {
                    s[offset + j] = mean[j]
                    s[offset + c + j] = variance[j]
                    s[offset + 2 * c + j] = mean[j] * mean[j]
                }
            }
            offset += 3 * c
        }
    }

    /// One running-statistics update per batch norm from the statistics of all n = B/m micro-batches:
    /// mean = T(mᵢ)/n, variance = T(vᵢ)/n + (T(mᵢ²)/n − mean²) (within- plus between-micro-batch
    /// variance), made unbiased over the B samples of the global batch.
    private func applyRunningStatistics() {
        let n = Float(plan.microBatchesPerStep)
        let s = statistics.floats
        var offset = 1
        let unbiased = Double(plan.globalBatch) / Double(plan.globalBatch - 1)
        for bn in batchNorms {
            let c = bn.features
            let mean = Tensor(uninitializedShape: [c]), variance = Tensor(uninitializedShape: [c])
            let meanValues = mean.floats, varianceValues = variance.floats   // once, not per element
            for j in 0..<c {
                let m = s[offset + j] / n
                meanValues[j] = m
                varianceValues[j] = s[offset + c + j] / n + (s[offset + 2 * c + j] / n - m * m)
            }
            bn.updateRunningStatistics(mean: mean, unbiasedVariance: variance, varianceScale: unbiased)
            offset += 3 * c
        }
    }
}
