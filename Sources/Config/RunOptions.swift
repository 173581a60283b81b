import Distributed

/// `batch`: samples per optimizer step over all ranks, and per forward/backward pass.
public struct BatchConfig: Sendable, Equatable, Decodable {
    /// Samples per optimizer step, over all ranks: `global = micro × accumulation steps × world size`.
    public var global: Int
    /// Samples per forward/backward pass (and per ghost batch-norm batch).
    public var micro: Int

    public init(global: Int, micro: Int) {
        self.global = global
        self.micro = micro
    }

    public init(from decoder: Decoder) throws {
        let map = try ConfigMapping(decoder, keys: ["global", "micro"])
        self.init(global: try map.required("global"), micro: try map.required("micro"))
    }

    var canonical: ConfigValue { .map(["global": .int(global), "micro": .int(micro)]) }

    func validate(at path: ConfigPath) throws {
        try path.key("global").positive(global)
        try path.key("micro").positive(micro)
    }
}

/// `train`: how long to run, when to evaluate and log, clipping, early stopping.
public struct TrainConfig: Sendable, Equatable, Decodable {
    /// Optimizer steps to run.
    public var steps: Int
    /// Evaluate on the validation split every this many steps; 0 = only after the last step.
    public var evalEvery: Int
    /// Print/log metrics every this many steps; 0 = never.
    public var logEvery: Int
    /// Clip the global gradient L2 norm to this value; nil = no clipping.
    public var gradClipNorm: Double?
    /// Stop when a validation metric stops improving; nil = off. Needs `evalEvery` > 0 and validation rows.
    public var earlyStopping: EarlyStopping?

    public init(steps: Int, evalEvery: Int = 0, logEvery: Int = 10, gradClipNorm: Double? = nil,
                earlyStopping: EarlyStopping? = nil) {
        self.steps = steps
        self.evalEvery = evalEvery
        self.logEvery = logEvery
        self.gradClipNorm = gradClipNorm
        self.earlyStopping = earlyStopping
    }

    public init(from decoder: Decoder) throws {
        let map = try ConfigMapping(decoder, keys: ["steps", "eval_every", "log_every", "grad_clip_norm", "early_stopping"])
        self.init(steps: try map.required("steps"), gradClipNorm: try map.optional("grad_clip_norm"),
                  earlyStopping: try map.optional("early_stopping"))
        try map.read("eval_every", into: &evalEvery)
        try map.read("log_every", into: &logEvery)
    }

    var canonical: ConfigValue {
        .map(["steps": .int(steps), "eval_every": .int(evalEvery), "log_every": .int(logEvery),
              "grad_clip_norm": gradClipNorm.map(ConfigValue.double) ?? .null, "early_stopping": earlyStopping?.canonical])
    }

    func validate(at path: ConfigPath) throws {
        try path.key("steps").positive(steps)
        try path.key("eval_every").nonNegative(evalEvery)
        try path.key("log_every").nonNegative(logEvery)
        if let gradClipNorm { try path.key("grad_clip_norm").positive(gradClipNorm) }
        try earlyStopping?.validate(at: path.key("early_stopping"))
    }
}

/// `distributed`: how gradients are summed, replica checks, and how a run executes (overlap,
/// buckets, optimizer sharding, a modelled network) — those change its speed, never its bits.
public struct DistributedConfig: Sendable, Equatable, Decodable {
    /// How gradients are summed across ranks (`ReductionMode` is Distributed's, the one definition).
    public var reduction: ReductionMode
    /// Compare replica parameter digests across ranks every this many steps; 0 = never.
    public var checkEvery: Int
    /// A modelled network (`ShapedCommunicator`): every transfer takes at least latency + bytes /
    /// bandwidth. Time only: the bits are the real transport's. Nil = the real transport.
    public var network: NetworkConfig?
    /// Reduce gradient buckets on a communication thread while backward runs: `on`, `off`, or
    /// `auto` (time the first steps both ways, keep the faster). Time only: the bits are those of one
    /// reduction after backward.
    public var overlap: OverlapMode
    /// Bucket size in MB (10⁶ bytes) for `overlap`; a parameter larger than a bucket is a bucket of its own.
    public var bucketMB: Double
    /// Size in MB of the first bucket, the last layers', which backward finishes first.
    public var firstBucketMB: Double
    /// ZeRO-1: each rank keeps the optimizer state of its shard of the flat parameters only, updates
    /// that shard, and an allgather of parameters replaces the gradients' allgather. Same bits.
    public var shardOptimizer: Bool

    public init(reduction: ReductionMode = .deterministic, checkEvery: Int = 50, network: NetworkConfig? = nil,
                overlap: OverlapMode = .off, bucketMB: Double = 25, firstBucketMB: Double = 1, shardOptimizer: Bool = false) {
        self.reduction = reduction
        self.checkEvery = checkEvery
        self.network = network
        self.overlap = overlap
        self.bucketMB = bucketMB
        self.firstBucketMB = firstBucketMB
        self.shardOptimizer = shardOptimizer
    }

    /// The keys that change how a run executes but never its bits: a resumed run may change them freely.
    static let executionOnlyKeys = ["network", "overlap", "bucket_mb", "first_bucket_mb", "shard_optimizer"]

    public init(from decoder: Decoder) throws {
        let map = try ConfigMapping(decoder, keys: ["reduction", "check_every"] + Self.executionOnlyKeys)
        self.init(reduction: try map.choice("reduction") ?? .deterministic, network: try map.optional("network"),
                  overlap: try map.choice("overlap") ?? .off)
        try map.read("check_every", into: &checkEvery)
        try map.read("bucket_mb", into: &bucketMB)
        try map.read("first_bucket_mb", into: &firstBucketMB)
        try map.read("shard_optimizer", into: &shardOptimizer)
    }

    /// The execution-only keys are left out at their defaults: configs written before they existed
    /// keep their digest.
    var canonical: ConfigValue {
        let defaults = DistributedConfig()
        return .map([
            "reduction": .string(reduction.rawValue), "check_every": .int(checkEvery), "network": network?.canonical,
            // `true` and `false` stay bools, as before `auto` existed.
            "overlap": overlap == defaults.overlap ? nil : overlap == .auto ? .string("auto") : .bool(overlap == .on),
            "bucket_mb": .unless(bucketMB, is: defaults.bucketMB, ConfigValue.double),
            "first_bucket_mb": .unless(firstBucketMB, is: defaults.firstBucketMB, ConfigValue.double),
            "shard_optimizer": .unless(shardOptimizer, is: defaults.shardOptimizer, ConfigValue.bool),
        ])
    }

    func validate(at path: ConfigPath) throws {
        try path.key("check_every").nonNegative(checkEvery)
        if let network {
            try path.key("network").key("latency_us").nonNegative(network.latencyUs)
            try path.key("network").key("gbps").positive(network.gbps)
        }
        try path.key("bucket_mb").positive(bucketMB)
        try path.key("first_bucket_mb").positive(firstBucketMB)
    }
}

/// `distributed.overlap`: `false`, `true` or `auto`. Overlap never changes a bit, so `auto` may
/// decide from the run's own first steps which way is faster (`OverlapTrial`).
public enum OverlapMode: String, Sendable, Hashable, CaseIterable {
    case off = "false"
    case on = "true"
    case auto
}

/// `distributed.network: {latency_us: 5, gbps: 10}`.
public struct NetworkConfig: Sendable, Equatable, Decodable {
    /// One-way latency α of a transfer, in microseconds.
    public var latencyUs: Double
    /// Bandwidth β in gigabits per second.
    public var gbps: Double

    public init(latencyUs: Double = 0, gbps: Double) {
        self.latencyUs = latencyUs
        self.gbps = gbps
    }

    public init(from decoder: Decoder) throws {
        let map = try ConfigMapping(decoder, keys: ["latency_us", "gbps"])
        self.init(gbps: try map.required("gbps"))
        try map.read("latency_us", into: &latencyUs)
    }

    var canonical: ConfigValue { .map(["latency_us": .double(latencyUs), "gbps": .double(gbps)]) }
}

/// `output`: the run directory and what is kept in it.
public struct OutputConfig: Sendable, Equatable, Decodable {
    /// Run directory (metrics, checkpoints), relative to the current directory.
    public var dir: String
    /// Write a checkpoint every this many steps; 0 = never.
    public var checkpointEvery: Int
    /// How many checkpoints to keep (oldest are deleted).
    public var keepCheckpoints: Int
    /// Keep `best.safetensors`, the weights of the best evaluation (by `train.early_stopping`'s metric,
    /// else validation loss), and record its step in summary.json.
    public var saveBest: Bool
    /// Write TensorBoard scalar event files under `OUT/tensorboard/`.
    public var tensorboard: Bool

    public init(dir: String, checkpointEvery: Int = 0, keepCheckpoints: Int = 3, saveBest: Bool = false,
                tensorboard: Bool = false) {
        self.dir = dir
        self.checkpointEvery = checkpointEvery
        self.keepCheckpoints = keepCheckpoints
        self.saveBest = saveBest
        self.tensorboard = tensorboard
    }

    public init(from decoder: Decoder) throws {
        let map = try ConfigMapping(decoder, keys: ["dir", "checkpoint_every", "keep_checkpoints", "save_best", "tensorboard"])
        self.init(dir: try map.required("dir"))
        try map.read("checkpoint_every", into: &checkpointEvery)
        try map.read("keep_checkpoints", into: &keepCheckpoints)
        try map.read("save_best", into: &saveBest)
        try map.read("tensorboard", into: &tensorboard)
    }

    /// `save_best` and `tensorboard` came later: left out when off, so earlier configs keep their digest.
    var canonical: ConfigValue {
        .map(["dir": .string(dir), "checkpoint_every": .int(checkpointEvery), "keep_checkpoints": .int(keepCheckpoints),
              "save_best": .unless(saveBest, is: false, ConfigValue.bool),
              "tensorboard": .unless(tensorboard, is: false, ConfigValue.bool)])
    }

    func validate(at path: ConfigPath) throws {
        try path.key("dir").nonEmpty(dir, "a directory path")
        try path.key("checkpoint_every").nonNegative(checkpointEvery)
        try path.key("keep_checkpoints").positive(keepCheckpoints)
    }
}
