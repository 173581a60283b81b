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

/// What makes one rank's optimizer, called once the trainer has laid the parameters out in one
/// flat buffer (`FlatParameters`) and, under ZeRO-1, chosen the elements this rank updates — as
/// PyTorch's `ZeroRedundancyOptimizer` takes an optimizer class and its arguments:
/// `{ try AdamW(parameters: $0, lr: 3e-4, weightDecay: 0.1, shard: $1) }`.
public typealias OptimizerMaker = (_ parameters: [(name: String, tensor: Tensor)], _ shard: Range<Int>?) throws -> Optimizer

/// The training loop of one rank, for any model, loss, optimizer and data source, following the
/// determinism contract (docs/architecture.md). A step reads its micro-batches → reduces → updates:
///
/// 1. each micro-batch of the rank's block (`BatchPlan`) runs forward and backward with the loss
///    *summed* over its samples, under a `SampleContext` that keys dropout by sample;
/// 2. the flat gradients fold into the block's fragments of the canonical tree over the step's n
///    micro-batches, and `GradientSynchronizer` adds every rank's fragments in the same tree (after
///    backward, or bucket by bucket during it with overlap, and only this rank's shard under ZeRO-1);
/// 3. the sum is scaled by 1/B, optionally clipped, and the optimizer steps.
///
/// Beside the gradients, a small `StepStatistics` vector takes the same path: the loss sum, every
/// batch norm's micro-batch statistics (wherever the batch norm sits in the model), `overlap: auto`'s
/// step times and the ranks' stop votes — so the running statistics, the reported loss and the
/// agreed stop do not depend on how the batch was split either.
///
/// ```swift
/// let trainer = try Trainer(model: model, data: train, loss: { model, batch in
///     try Loss.meanSquaredError(model(batch.inputs), batch.targets, reduction: .sum)
/// }, optimizer: { try SGD(parameters: $0, lr: 0.1, momentum: 0.9, shard: $1) },
///    schedule: ConstantSchedule(lr: 0.1), batch: BatchConfig(global: 256, micro: 32))
/// for _ in 0..<1_000 { print(try trainer.step().loss) }
/// ```
public final class Trainer {
    public let communicator: Communicator
    public let model: Module
    public let plan: BatchPlan
    public let optimizer: Optimizer
    public let schedule: LRSchedule
    public let flat: FlatParameters
    public let options: TrainerOptions
    /// Completed optimizer steps.
    public private(set) var completedSteps = 0
    /// Timestamps of each step's phases when attached (`lockstep bench scaling`, `--timeline`); nil
    /// costs one check per phase and reads no clock.
    public var timeline: StepTimeline? {
        didSet { attachLayerSpans() }
    }
    /// What the rank's own process wants of the run (`TrainingRun.stopRequest`): a signal number, or
    /// nil. Read once per step; the ranks' votes ride in the statistics (`StepResult.stopSignal`).
    public var stopRequest: () -> Int32? = { nil }
    /// What `distributed.overlap: auto` chose, once its trial steps are done (nil before, and for
    /// `true`/`false`).
    public var overlapChoice: OverlapChoice? { overlapTrial?.choice }
    /// Folds, buckets and reduces the gradients (and shards them under ZeRO-1).
    public let gradientSync: GradientSynchronizer
    public var reducer: GradientReducer { gradientSync.reducer }
    /// Bytes of the statistics vector reduced with the gradients each step.
    public var statisticsBytes: Int { statistics.values.byteCount }

    /// The micro-batch's summed loss for the samples at the given indices (the user's loss over a
    /// batch of the user's data source, bound to their types at `init`).
    private let microBatchLoss: (ArraySlice<Int>) throws -> Tensor
    private let sampleCount: Int
    /// Each parameter tensor's index in the flat buffer, for backward's final-gradient reports.
    private let parameterIndex: [ObjectIdentifier: Int]
    /// Each parameter's top-level module (index in `model.children`), and each such module's parameter
    /// elements: a module's backward span ends when the last of its gradient elements is final.
    private let moduleOfParameter: [Int]
    private let elementsPerModule: [Int]
    private var pendingModuleElements: [Int] = []
    private var layerHooks: [HookHandle] = []
    private var overlapTrial: OverlapTrial?
    private let statistics: StepStatistics
    private let statisticsSum: BlockAccumulator
    private var permutation: (epoch: Int, order: any EpochOrder)?
    /// The loss of this trainer's first step: the scale against which divergence is judged.
    private var firstLoss: Double?

    /// A trainer for `model` on `data`. `loss(model, batch)` returns the micro-batch's loss *summed*
    /// over its samples (the trainer divides the step's sum by B); the model's parameters are moved
    /// into one flat buffer before `optimizer` makes the optimizer over them. Every rank must build
    /// the same model (same initial values, or `broadcastState()` after) and read the same data.
    public init<Model: Module, Data: DataSource>(
        model: Model, data: Data, loss: @escaping (Model, Data.Batch) throws -> Tensor, optimizer: OptimizerMaker,
        schedule: LRSchedule, batch: BatchConfig, options: TrainerOptions = TrainerOptions(),
        communicator: Communicator = LocalCommunicator()
    ) throws {
        self.model = model
        self.communicator = communicator
        self.schedule = schedule
        self.options = options
        sampleCount = data.count
        microBatchLoss = { indices in try loss(model, data.batch(indices: indices)) }
        plan = try BatchPlan(globalBatch: batch.global, microBatch: batch.micro, worldSize: communicator.worldSize,
                             trainCount: data.count)
        try Self.checkDropoutLayers(model)
        model.train()
        let batchNorms = model.namedModules().compactMap { $0.module as? BatchNorm1d }
        for bn in batchNorms { bn.defersRunningStatistics = true }
        let flat = FlatParameters(model)
        self.flat = flat
        parameterIndex = Dictionary(uniqueKeysWithValues: flat.entries.enumerated().map { (ObjectIdentifier($1.tensor), $0) })
        var moduleOf: [ObjectIdentifier: Int] = [:]
        for (m, child) in model.children.enumerated() {
            for p in child.module.parameters() { moduleOf[ObjectIdentifier(p)] = m }
        }
        let moduleOfParameter = flat.entries.map { moduleOf[ObjectIdentifier($0.tensor)] ?? 0 }
        self.moduleOfParameter = moduleOfParameter
        elementsPerModule = model.children.indices.map { m in
            zip(moduleOfParameter, flat.entries).reduce(0) { $0 + ($1.0 == m ? $1.1.range.count : 0) }
        }
        let distributed = options.distributed
        let shards = distributed.shardOptimizer
            ? ParameterShards(count: flat.values.count, worldSize: communicator.worldSize, alignment: GradientNorm.blockSize)
            : nil
        self.optimizer = try optimizer(model.namedParameters(), shards?.shard(ofRank: communicator.rank))
        let fragments = CanonicalTree(leaves: plan.microBatchesPerStep).fragments(of: plan.block(ofRank: communicator.rank))
        let buckets = distributed.overlap != .off ? Self.gradientBuckets(flat, distributed) : GradientBuckets(wholeBufferOf: flat.gradientParts)
        gradientSync = GradientSynchronizer(mode: distributed.reduction, communicator: communicator, gradients: flat.gradients,
                                            leaves: plan.microBatchesPerStep, fragments: fragments, buckets: buckets,
                                            overlap: distributed.overlap != .off, shards: shards)
        if let shards, let layerwise = self.optimizer as? LayerwiseOptimizer {
            let sync = gradientSync
            layerwise.shardExchange = ShardExchange(shards: (0..<communicator.worldSize).map(shards.shard(ofRank:))) {
                try sync.allGather(bytes: $0, part: $1)
            }
        }
        overlapTrial = distributed.overlap == .auto && gradientSync.canOverlap ? OverlapTrial() : nil
        statistics = StepStatistics(batchNorms: batchNorms, overlapTrial: overlapTrial != nil)
        statisticsSum = BlockAccumulator(length: statistics.count, fragments: fragments)
    }

    /// The gradient buckets `distributed.overlap` reduces during backward, cut at the parts backward
    /// writes and at module starts, sized by `bucket_mb` and `first_bucket_mb`.
    public static func gradientBuckets(_ flat: FlatParameters, _ distributed: DistributedConfig) -> GradientBuckets {
        GradientBuckets(segments: flat.gradientParts, bucketMB: distributed.bucketMB, firstBucketMB: distributed.firstBucketMB,
                        layerStarts: flat.moduleStarts)
    }

    /// Two dropout layers with one `layerID` would draw the same masks: refused, naming both.
    static func checkDropoutLayers(_ model: Module) throws {
        var seen: [Int: String] = [:]
        for (name, module) in model.namedModules() {
            guard let dropout = module as? Dropout else { continue }
            if let other = seen[dropout.layerID] {
                throw TrainingError("dropout layers '\(other)' and '\(name)' share layerID \(dropout.layerID): they would drop the same elements; give each its own")
            }
            seen[dropout.layerID] = name
        }
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
                let indices = plan.microBatchIndices(step: t, rank: communicator.rank, accumulationStep: a, order: order)[...]
                optimizer.zeroGrad()
                let context = SampleContext(seed: options.seed, step: t, sampleIndices: Array(indices))
                timeline?.mark(.other)
                timeline?.recordsLayers = true
                defer { timeline?.recordsLayers = false }
                let loss = try SampleContext.$current.withValue(context) { try microBatchLoss(indices) }   // Σ over the micro-batch
                timeline?.mark(.forward)
                try backward(loss, isLast: isLast)
                timeline?.mark(.backward)
                statistics.record(lossSum: loss.item, stop: isLast ? stopRequest() : nil)
                if let slots = statistics.overlapTrialSlots { overlapTrial?.record(into: statistics.values, at: slots, isLast: isLast) }
                if accumulation > 1 { statisticsSum.add(statistics.values) }
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
        statistics.applyRunningStatistics(microBatches: plan.microBatchesPerStep, globalBatch: plan.globalBatch)
        completedSteps += 1
        let loss = statistics.loss(globalBatch: plan.globalBatch)
        try checkDivergence(loss, step: t)
        timeline?.endStep()
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        if let slots = statistics.overlapTrialSlots {
            overlapTrial?.stepFinished(seconds: seconds, reduced: statistics.values, at: slots, ranks: communicator.worldSize)
        }
        return StepResult(step: t, loss: loss, learningRate: lr, gradientNorm: norm, seconds: seconds,
                          stopSignal: statistics.agreedStop)
    }

    /// Backward of one micro-batch's loss, reporting gradient parts as they become final (to the
    /// synchronizer on the last micro-batch, to the timeline's module spans when attached).
    private func backward(_ loss: Tensor, isLast: Bool) throws {
        let reportsFinal = gradientSync.beginBackward(isLast: isLast)
        let moduleSpans = timeline != nil
        if moduleSpans { pendingModuleElements = elementsPerModule }
        try loss.backward(onLeafGradientFinal: reportsFinal || moduleSpans ? { leaf, elements in
            guard let p = self.parameterIndex[ObjectIdentifier(leaf)] else { return }   // not a parameter
            let start = self.flat.entries[p].range.lowerBound
            if reportsFinal { self.gradientSync.elementsFinal(start + elements.lowerBound ..< start + elements.upperBound) }
            if moduleSpans { self.moduleGradientFinal(parameter: p, elements: elements.count) }
        } : nil)
        flat.bindGradients()
        gradientSync.endBackward(isLast: isLast)
    }

    /// A loss a million times its starting value (or above 1e6 when it started below 1) is divergence
    /// as surely as an infinite one: lr = 1e30 otherwise "trains" to a loss of 5e29 and exits 0.
    private func checkDivergence(_ loss: Double, step t: Int) throws {
        if firstLoss == nil { firstLoss = loss }
        let bound = 1e6 * max(firstLoss ?? 1, 1)
        guard loss.isFinite, loss <= bound else {
            let value = loss.isNaN ? "NaN" : loss.isFinite ? String(format: "%.3g, over the bound %.3g (10⁶ × the first step's loss)", loss, bound) : "\(loss)"
            throw TrainingError.diverged(atStep: t + 1, "training diverged at step \(t + 1): the loss is \(value); lower the learning rate or clip the gradient norm")
        }
    }

    /// Waits for the summed gradients G = T(g) (this rank's shard of them under ZeRO-1) and takes the
    /// optimizer step with G/B. Without clipping, 1/B is fused into the update, and with overlap each
    /// bucket is updated as soon as its reduction completes, while later buckets are still reduced;
    /// clipping needs the norm of all of G/B first. Every update is elementwise: the bits are the same
    /// on every path. A layer-wise optimizer (LARS, LAMB) needs whole tensors, so it steps once after
    /// the last bucket, as with clipping. Returns the gradient norm when clipping.
    private func reduceAndUpdate(learningRate lr: Double) throws -> Double? {
        let owned = gradientSync.ownedElements
        let scale = 1 / Double(plan.globalBatch)
        optimizer.learningRate = lr
        if let maxNorm = options.gradClipNorm {
            try gradientSync.finish()
            timeline?.mark(.reduction)
            flat.gradients.elements(owned).scaleInPlace(scale)           // G / B
            let norm = try clipGradients(owned, maxNorm: maxNorm)
            try optimizer.step(elements: owned, gradientScale: 1)
            timeline?.mark(.optimizer)
            return norm
        }
        guard gradientSync.overlaps, optimizer.updatesElementwise else {
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

    /// With a timeline, names the model's top-level modules and times each one's forward (a forward
    /// hook per module); without, removes the hooks.
    private func attachLayerSpans() {
        for hook in layerHooks { hook.remove() }
        layerHooks = []
        guard let timeline else { return }
        timeline.labels = model.children.map { "\($0.name) \($0.module.summary)" }
        for (m, child) in model.children.enumerated() {
            layerHooks.append(child.module.registerForwardHook { [weak timeline] _, _, _ in
                timeline?.markLayer(.layerForward, label: m)
            })
        }
    }

    /// Backward has finished `elements` of parameter `p`'s gradient: the end of its module's backward
    /// span once the module has no element left.
    private func moduleGradientFinal(parameter p: Int, elements: Int) {
        let m = moduleOfParameter[p]
        pendingModuleElements[m] -= elements
        if pendingModuleElements[m] == 0 { timeline?.markLayer(.layerBackward, label: m) }
    }

    /// The epoch order for step `t`, made once per epoch.
    private func epochOrder(step t: Int) -> any EpochOrder {
        let epoch = plan.epoch(ofStep: t)
        if let p = permutation, p.epoch == epoch { return p.order }
        let order = options.order.epoch(epoch, count: sampleCount, seed: options.seed, shuffle: options.shuffle)
        permutation = (epoch, order)
        return order
    }

    /// Continues from a checkpoint that had completed `step` steps (its state already loaded).
    public func resume(atStep step: Int) {
        completedSteps = step
    }
}

/// How a `Trainer` runs, beyond its model, loss, optimizer and data: the seed that keys data order
/// and dropout, shuffling and how, gradient clipping, and the distributed options (reduction,
/// overlap, buckets, ZeRO-1) — none of which but the seed, the order and clipping changes a bit.
public struct TrainerOptions: Sendable {
    public var seed: UInt64 = 0
    /// Reshuffle every epoch (a pure function of seed and epoch); false keeps the data's order.
    public var shuffle = true
    /// How each epoch's order is drawn: held in memory (`shuffle`) or computed per sample (`keyed`).
    public var order = SampleOrder.shuffle
    /// Clip the global gradient L2 norm to this value; nil: no clipping.
    public var gradClipNorm: Double?
    public var distributed = DistributedConfig()

    public init(seed: UInt64 = 0, shuffle: Bool = true, order: SampleOrder = .shuffle, gradClipNorm: Double? = nil,
                distributed: DistributedConfig = DistributedConfig()) {
        (self.seed, self.shuffle, self.order, self.gradClipNorm, self.distributed) = (seed, shuffle, order, gradClipNorm, distributed)
    }
}
