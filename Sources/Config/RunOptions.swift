import ConfigCoding
import Distributed

// The run's smaller sections. Each key's meaning, range and default are in docs/config.md; a default
// is written once, at its property.

/// `batch`: `global` samples per optimizer step over all ranks (`micro × accumulation steps × world
/// size`), `micro` per forward/backward pass (and per ghost batch-norm batch).
public struct BatchConfig: Sendable, Equatable, Decodable {
    public var global: Int
    public var micro: Int

    public init(global: Int, micro: Int) { (self.global, self.micro) = (global, micro) }

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

/// `train`: run length, evaluation and logging intervals (0: only at the end, never), gradient
/// clipping, early stopping.
public struct TrainConfig: Sendable, Equatable, Decodable {
    public var steps: Int
    public var evalEvery = 0
    public var logEvery = 10
    public var gradClipNorm: Double?
    public var earlyStopping: EarlyStopping?

    public init(steps: Int) { self.steps = steps }

    public init(from decoder: Decoder) throws {
        let map = try ConfigMapping(decoder, keys: ["steps", "eval_every", "log_every", "grad_clip_norm", "early_stopping"])
        self.init(steps: try map.required("steps"))
        try map.read("eval_every", into: &evalEvery)
        try map.read("log_every", into: &logEvery)
        gradClipNorm = try map.optional("grad_clip_norm")
        earlyStopping = try map.optional("early_stopping")
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

/// `distributed`: how gradients are summed (`ReductionMode`, Distributed's one list), replica digest
/// checks, and how a run executes — overlap, buckets, ZeRO-1 sharding, a modelled network
/// (`ShapedCommunicator`) — which changes its speed, never its bits.
public struct DistributedConfig: Sendable, Equatable, Decodable {
    public var reduction = ReductionMode.deterministic
    public var checkEvery = 50
    public var network: NetworkConfig?
    public var overlap = OverlapMode.off
    public var bucketMB = 25.0
    public var firstBucketMB = 1.0
    public var shardOptimizer = false

    public init() {}

    /// The keys that change how a run executes but never its bits: a resumed run may change them freely.
    static let executionOnlyKeys = ["network", "overlap", "bucket_mb", "first_bucket_mb", "shard_optimizer"]

    public init(from decoder: Decoder) throws {
        let map = try ConfigMapping(decoder, keys: ["reduction", "check_every"] + Self.executionOnlyKeys)
        reduction = try map.choice("reduction") ?? reduction
        try map.read("check_every", into: &checkEvery)
        network = try map.optional("network")
        overlap = try map.choice("overlap") ?? overlap
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

/// `distributed.network: {latency_us: 5, gbps: 10}`: latency α of every transfer in µs, bandwidth β
/// in Gbit/s.
public struct NetworkConfig: Sendable, Equatable, Decodable {
    public var latencyUs = 0.0
    public var gbps: Double

    public init(latencyUs: Double = 0, gbps: Double) { (self.latencyUs, self.gbps) = (latencyUs, gbps) }

    public init(from decoder: Decoder) throws {
        let map = try ConfigMapping(decoder, keys: ["latency_us", "gbps"])
        self.init(gbps: try map.required("gbps"))
        try map.read("latency_us", into: &latencyUs)
    }

    var canonical: ConfigValue { .map(["latency_us": .double(latencyUs), "gbps": .double(gbps)]) }
}

/// `output`: the run directory, periodic checkpoints and how many are kept, the best weights
/// (`best.safetensors`), TensorBoard event files.
public struct OutputConfig: Sendable, Equatable, Decodable {
    public var dir: String
    public var checkpointEvery = 0
    public var keepCheckpoints = 3
    public var saveBest = false
    public var tensorboard = false

    public init(dir: String) { self.dir = dir }

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
              "save_best": saveBest ? .bool(true) : nil, "tensorboard": tensorboard ? .bool(true) : nil])
    }

    func validate(at path: ConfigPath) throws {
        try path.key("dir").nonEmpty(dir, "a directory path")
        try path.key("checkpoint_every").nonNegative(checkpointEvery)
        try path.key("keep_checkpoints").positive(keepCheckpoints)
    }
}
