import Distributed
import Datasets

/// A training run's configuration, as written in a YAML file (see docs/config.md for every key).
///
/// Load it with `RunConfig.load(path:overrides:)` or `RunConfig(yaml:source:overrides:)`: decoding
/// is strict (unknown keys, wrong types and out-of-range values are `ConfigError`s that name the
/// file and the key path) and the result is validated as a whole (layer sizes fit each other and the
/// loss, the batch divides, the schedule fits the run). A config built or changed in code can be
/// checked again with `validate()`.
///
/// `Codable`: encoding writes the canonical form (every key, defaults filled in); decoding from any
/// `Decoder` goes through the same strict reader as YAML.
public struct RunConfig: Sendable, Equatable {
    /// Seed of every counter-based random stream (initial weights, data order, dropout).
    public var seed: UInt64
    public var model: ModelConfig
    public var data: DataConfig
    public var loss: Loss
    /// `loss.pos_weight`: BCE's weight on the positive term (PyTorch's `BCEWithLogitsLoss(pos_weight=…)`),
    /// for imbalanced binary labels; `bce_with_logits` only. Nil: 1.
    public var positiveWeight: Double?
    public var batch: BatchConfig
    public var optimizer: OptimizerConfig
    public var schedule: ScheduleConfig
    public var train: TrainConfig
    public var distributed: DistributedConfig
    public var output: OutputConfig
    /// The file name used in error messages. Not part of the configuration: it takes no part in
    /// equality, encoding or the digest.
    public var source: String

    public enum Loss: String, Sendable, Hashable, CaseIterable {
        /// Sigmoid + binary cross-entropy on one logit (binary classification). Needs 1 output.
        case bceWithLogits = "bce_with_logits"
        /// Softmax + negative log-likelihood over class logits. Needs at least 2 outputs.
        case crossEntropy = "cross_entropy"
        /// Mean squared error on one output (regression). Needs 1 output.
        case mse
    }

    public init(seed: UInt64 = 0, model: ModelConfig, data: DataConfig, loss: Loss, batch: BatchConfig,
                optimizer: OptimizerConfig, schedule: ScheduleConfig = ScheduleConfig(), train: TrainConfig,
                distributed: DistributedConfig = DistributedConfig(), output: OutputConfig,
                positiveWeight: Double? = nil, source: String = "config") {
        self.seed = seed
        self.model = model
        self.data = data
        self.loss = loss
        self.positiveWeight = positiveWeight
        self.batch = batch
        self.optimizer = optimizer
        self.schedule = schedule
        self.train = train
        self.distributed = distributed
        self.output = output
        self.source = source
    }

    public static func == (lhs: RunConfig, rhs: RunConfig) -> Bool {
        lhs.seed == rhs.seed && lhs.model == rhs.model && lhs.data == rhs.data && lhs.loss == rhs.loss
            && lhs.positiveWeight == rhs.positiveWeight
            && lhs.batch == rhs.batch && lhs.optimizer == rhs.optimizer && lhs.schedule == rhs.schedule
            && lhs.train == rhs.train && lhs.distributed == rhs.distributed && lhs.output == rhs.output
    }
}

// MARK: - model

public struct ModelConfig: Sendable, Equatable {
    /// Number of input features.
    public var input: Int
    /// The layers, applied in order (an `nn.Sequential`).
    public var layers: [LayerConfig]
    /// Recompute activations during backward instead of keeping them (memory for time).
    public var checkpointActivations: Bool

    public init(input: Int, layers: [LayerConfig], checkpointActivations: Bool = false) {
        self.input = input
        self.layers = layers
        self.checkpointActivations = checkpointActivations
    }

    /// Each layer's module name: its `name`, or its index in the list for an unnamed layer ("2"),
    /// as `nn.Sequential` names its children. Parameter names are `<name>.weight` and so on.
    public var layerNames: [String] {
        layers.enumerated().map { index, layer in layer.name ?? String(index) }
    }
}

public struct LayerConfig: Sendable, Equatable {
    /// The name given in the file, if any (see `ModelConfig.layerNames` for the resolved one).
    public var name: String?
    public var kind: Kind

    public init(name: String? = nil, _ kind: Kind) {
        self.name = name
        self.kind = kind
    }

    public enum Kind: Sendable, Equatable {
        /// `y = x Wᵀ + b`, `out` features; input features come from the previous layer.
        case linear(out: Int, bias: Bool = true)
        /// Batch normalisation over the features (ghost batch norm per micro-batch).
        case batchnorm1d(eps: Double = 1e-5, momentum: Double = 0.1, affine: Bool = true)
        /// Layer normalisation over the features.
        case layernorm(eps: Double = 1e-5, elementwiseAffine: Bool = true)
        case relu
        case leakyRelu(negativeSlope: Double = 0.01)
        case gelu
        case tanh
        case sigmoid
        /// Zeroes each element with probability `p` in training and scales the rest by `1/(1-p)`.
        case dropout(p: Double = 0.5)
    }
}

// MARK: - data

public struct DataConfig: Sendable, Equatable {
    public var source: Source
    /// Fraction of the samples held out for validation, in [0, 1); 0 trains on every sample and the
    /// run has no validation metrics.
    public var validationFraction: Double
    /// Shuffle the training samples every epoch (the permutation depends on seed and epoch only).
    public var shuffle: Bool
    /// Standardise every feature to mean 0, variance 1 using training-split statistics.
    /// Default: true for `csv`, false for the synthetic sources.
    public var standardize: Bool
    /// A CSV source's columns, empty cells, categories, task and validation file (`data.features`,
    /// `data.exclude`, `data.missing`, …). Its `validationFraction` stays nil: `validationFraction`
    /// above is the config's one.
    public var options: DataOptions

    public init(source: Source, validationFraction: Double = 0.2, shuffle: Bool = true, standardize: Bool? = nil,
                options: DataOptions = DataOptions()) {
        self.source = source
        self.validationFraction = validationFraction
        self.shuffle = shuffle
        self.standardize = standardize ?? source.standardizesByDefault
        self.options = options
    }

    /// Whether the run has validation rows: a separate validation file or a non-zero fraction.
    public var hasValidation: Bool { options.validationPath != nil || validationFraction > 0 }

    public enum Source: Sendable, Equatable {
        /// The built-in synthetic clinical data set (binary outcome).
        case syntheticClinical(samples: Int)
        /// Random features for speed work: `features` inputs, labels in `0..<classes`.
        case syntheticWide(samples: Int, features: Int, classes: Int)
        /// A CSV file with a header row; `label` names the target column, every other column is a
        /// feature. `path` is relative to the current directory.
        case csv(path: String, label: String)

        /// The number of samples when the config knows it (synthetic sources), nil for CSV.
        public var sampleCount: Int? {
            switch self {
            case .syntheticClinical(let samples), .syntheticWide(let samples, _, _): return samples
            case .csv: return nil
            }
        }

        var standardizesByDefault: Bool {
            if case .csv = self { return true }
            return false
        }
    }

    /// How `sampleCount` samples split: `validation = round(sampleCount × validationFraction)` (halves
    /// away from zero), `train` = the rest; with a separate validation file every sample trains.
    public func split(sampleCount: Int) -> (train: Int, validation: Int) {
        if options.validationPath != nil { return (sampleCount, 0) }
        let validation = Int((Double(sampleCount) * validationFraction).rounded(.toNearestOrAwayFromZero))
        return (sampleCount - validation, validation)
    }
}

// MARK: - batch

public struct BatchConfig: Sendable, Equatable {
    /// Samples per optimizer step, over all ranks: `global = micro × accumulation steps × world size`.
    public var global: Int
    /// Samples per forward/backward pass (and per ghost batch-norm batch).
    public var micro: Int

    public init(global: Int, micro: Int) {
        self.global = global
        self.micro = micro
    }
}

// MARK: - optimizer

public struct OptimizerConfig: Sendable, Equatable {
    public var type: Kind
    /// Base learning rate, before `lrScaling`. See `RunConfig.learningRate` for the one to use.
    public var lr: Double
    /// L2 penalty (sgd, adam) or decoupled weight decay (adamw). Default 0, or 0.01 for adamw.
    public var weightDecay: Double
    /// sgd only.
    public var momentum: Double
    /// sgd only.
    public var dampening: Double
    /// sgd only; needs momentum > 0 and dampening 0.
    public var nesterov: Bool
    /// adam and adamw only.
    public var betas: (Double, Double)
    /// adam and adamw only.
    public var eps: Double
    /// Scale `lr` with the global batch: `lr × (batch.global / reference_batch)` (linear rule).
    public var lrScaling: LRScaling?

    public enum Kind: String, Sendable, Hashable, CaseIterable {
        case sgd, adam, adamw
    }

    public struct LRScaling: Sendable, Equatable {
        public var referenceBatch: Int
        public var rule: Rule

        public enum Rule: String, Sendable, Hashable, CaseIterable {
            /// `lr × global / reference_batch` (Goyal et al.).
            case linear
            /// `lr × sqrt(global / reference_batch)`.
            case sqrt
        }

        public init(referenceBatch: Int, rule: Rule = .linear) {
            self.referenceBatch = referenceBatch
            self.rule = rule
        }
    }

    public init(type: Kind, lr: Double, weightDecay: Double? = nil, momentum: Double = 0, dampening: Double = 0,
                nesterov: Bool = false, betas: (Double, Double) = (0.9, 0.999), eps: Double = 1e-8,
                lrScaling: LRScaling? = nil) {
        self.type = type
        self.lr = lr
        self.weightDecay = weightDecay ?? (type == .adamw ? 0.01 : 0)
        self.momentum = momentum
        self.dampening = dampening
        self.nesterov = nesterov
        self.betas = betas
        self.eps = eps
        self.lrScaling = lrScaling
    }

    /// The learning rate after `lrScaling` for a global batch of `globalBatch` samples.
    public func scaledLR(globalBatch: Int) -> Double {
        guard let scaling = lrScaling else { return lr }
        let ratio = Double(globalBatch) / Double(scaling.referenceBatch)
        switch scaling.rule {
        case .linear: return lr * ratio
        case .sqrt: return lr * ratio.squareRoot()
        }
    }

    public static func == (lhs: OptimizerConfig, rhs: OptimizerConfig) -> Bool {
        lhs.type == rhs.type && lhs.lr == rhs.lr && lhs.weightDecay == rhs.weightDecay
            && lhs.momentum == rhs.momentum && lhs.dampening == rhs.dampening && lhs.nesterov == rhs.nesterov
            && lhs.betas == rhs.betas && lhs.eps == rhs.eps && lhs.lrScaling == rhs.lrScaling
    }
}

// MARK: - schedule

public struct ScheduleConfig: Sendable, Equatable {
    public var type: Kind
    /// Linear warm-up over the first `warmupSteps` optimizer steps.
    public var warmupSteps: Int
    /// cosine only: the learning rate reached at the last step (absolute, not scaled).
    public var minLR: Double
    /// step only: multiply the learning rate by `gamma` every `stepSize` steps.
    public var stepSize: Int
    /// step only.
    public var gamma: Double

    public enum Kind: String, Sendable, Hashable, CaseIterable {
        case constant, cosine, step
    }

    public init(type: Kind = .constant, warmupSteps: Int = 0, minLR: Double = 0, stepSize: Int = 0,
                gamma: Double = 0.1) {
        self.type = type
        self.warmupSteps = warmupSteps
        self.minLR = minLR
        self.stepSize = stepSize
        self.gamma = gamma
    }
}

// MARK: - train

public struct TrainConfig: Sendable, Equatable {
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
}

// MARK: - distributed

public struct DistributedConfig: Sendable, Equatable {
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
}

/// `distributed.overlap`: `false`, `true` or `auto`. Overlap never changes a bit, so `auto` may
/// decide from the run's own first steps which way is faster (`OverlapTrial`).
public enum OverlapMode: String, Sendable, Hashable, CaseIterable {
    case off = "false"
    case on = "true"
    case auto
}

/// `distributed.network: {latency_us: 5, gbps: 10}`.
public struct NetworkConfig: Sendable, Equatable {
    /// One-way latency α of a transfer, in microseconds.
    public var latencyUs: Double
    /// Bandwidth β in gigabits per second.
    public var gbps: Double

    public init(latencyUs: Double = 0, gbps: Double) {
        self.latencyUs = latencyUs
        self.gbps = gbps
    }
}

// MARK: - output

public struct OutputConfig: Sendable, Equatable {
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
}
