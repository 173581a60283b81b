import ConfigCoding
import Datasets

/// A training run's configuration, as written in a YAML file (docs/config.md has every key).
///
/// Load it with `RunConfig.load(path:overrides:)` or `RunConfig(yaml:source:overrides:)`: decoding
/// is strict (unknown keys, wrong types and out-of-range values are `ConfigError`s that name the
/// file and the key path) and the result is validated as a whole (layer sizes fit each other and the
/// loss, the batch divides, the schedule fits the run). A config built or changed in code can be
/// checked again with `validate()`.
///
/// `Codable`: encoding writes the canonical form (every key, defaults filled in); decoding from any
/// `Decoder` is as strict as YAML loading, and validates.
public struct RunConfig: Sendable, Equatable, Codable {
    /// Seed of every counter-based random stream (initial weights, data order, dropout).
    public var seed: UInt64 = 0
    public var model: ModelConfig
    public var data: DataConfig
    public var loss: Loss
    /// `loss.pos_weight`: BCE's weight on the positive term (PyTorch's `BCEWithLogitsLoss(pos_weight=…)`).
    public var positiveWeight: Double?
    public var batch: BatchConfig
    public var optimizer: OptimizerConfig
    public var schedule = ScheduleConfig()
    public var train: TrainConfig
    public var distributed = DistributedConfig()
    public var output: OutputConfig
    /// The file name used in error messages; no part of the configuration (equality, encoding, digest).
    public var source = "config"

    public enum Loss: String, Sendable, Hashable, CaseIterable {
        /// Sigmoid + binary cross-entropy on one logit (binary classification). Needs 1 output.
        case bceWithLogits = "bce_with_logits"
        /// Softmax + negative log-likelihood over class logits. Needs at least 2 outputs.
        case crossEntropy = "cross_entropy"
        /// Mean squared error on one output (regression). Needs 1 output.
        case mse
    }

    public init(model: ModelConfig, data: DataConfig, loss: Loss, batch: BatchConfig, optimizer: OptimizerConfig,
                train: TrainConfig, output: OutputConfig) {
        (self.model, self.data, self.loss, self.batch, self.optimizer, self.train, self.output)
            = (model, data, loss, batch, optimizer, train, output)
    }

    public static func == (lhs: RunConfig, rhs: RunConfig) -> Bool { lhs.canonical == rhs.canonical }

    // MARK: reading and writing

    public init(from decoder: Decoder) throws {
        let map = try ConfigMapping(decoder, keys: ["seed", "model", "data", "loss", "batch", "optimizer", "schedule",
                                                    "train", "distributed", "output"])
        let seed: UInt64? = try map.optional("seed")
        let (model, data, loss): (ModelConfig, DataConfig, LossSpelling) = (try map.required("model"), try map.required("data"),
                                                                           try map.required("loss"))
        self.init(model: model, data: data, loss: loss.loss, batch: try map.required("batch"), optimizer: try map.required("optimizer"),
                  train: try map.required("train"), output: try map.required("output"))
        (self.seed, positiveWeight, source) = (seed ?? 0, loss.positiveWeight, "RunConfig")
        try map.read("schedule", into: &schedule)
        try map.read("distributed", into: &distributed)
        try validate()
    }

    /// `loss: bce_with_logits`, or `loss: {type: bce_with_logits, pos_weight: 3}`.
    private struct LossSpelling: Decodable {
        var loss: Loss
        var positiveWeight: Double?

        init(from decoder: Decoder) throws {
            if let name = ConfigMapping.shorthand(decoder) {
                loss = try configChoice(name, at: ConfigPath(decoder.codingPath))
            } else {
                let map = try ConfigMapping(decoder, keys: ["type", "pos_weight"])
                loss = try map.choice("type") ?? map.missing("type")
                positiveWeight = try map.optional("pos_weight")
            }
        }
    }

    public func encode(to encoder: Encoder) throws {
        try canonical.encode(to: encoder)
    }

    /// Every key in canonical order (see `canonicalYAML`).
    var canonical: ConfigValue {
        let loss: ConfigValue = positiveWeight.map { .map(["type": .string(self.loss.rawValue), "pos_weight": .double($0)]) }
            ?? .string(self.loss.rawValue)
        return .map(["seed": .uint(seed), "model": model.canonical, "data": data.canonical, "loss": loss,
                     "batch": batch.canonical, "optimizer": optimizer.canonical, "schedule": schedule.canonical,
                     "train": train.canonical, "distributed": distributed.canonical, "output": output.canonical])
    }

    // MARK: validation

    /// Re-runs every check that loading runs after decoding: each part's ranges, then what ties the
    /// parts together — sizes against the loss, data against the model, the batch arithmetic
    /// (`BatchPlan`), early stopping, sharding, the schedule against the run.
    public func validate() throws {
        do {
            try validateParts()
        } catch var error as ConfigError {
            error.file = source
            throw error
        }
    }

    private func validateParts() throws {
        let root = ConfigPath.root
        try model.validate(at: root.key("model"))
        try data.validate(at: root.key("data"))
        if let positiveWeight {
            try root.key("loss").key("pos_weight").positive(positiveWeight)
            if loss != .bceWithLogits {
                throw ConfigError(root.key("loss").key("pos_weight"), "only loss bce_with_logits takes pos_weight, not \(loss.rawValue)")
            }
        }
        try batch.validate(at: root.key("batch"))
        try optimizer.validate(at: root.key("optimizer"))
        try schedule.validate(at: root.key("schedule"))
        try train.validate(at: root.key("train"))
        try distributed.validate(at: root.key("distributed"))
        try output.validate(at: root.key("output"))

        try checkOutputFitsTheLoss()
        if case .syntheticWide(_, let features, let classes) = data.source {
            if model.input != features {
                throw ConfigError(root.key("model").key("input"), "model.input \(model.input) does not match data.features \(features)")
            }
            switch loss {
            case .crossEntropy where outputFeatures != classes:
                throw ConfigError(root.key("data").key("classes"), "data.classes \(classes) does not match the model's \(outputFeatures) outputs")
            case .bceWithLogits where classes != 2:
                throw ConfigError(root.key("data").key("classes"), "loss bce_with_logits needs data.classes 2, got \(classes)")
            case .mse:
                throw ConfigError(root.key("loss"), "data.source synthetic-wide has class labels; use cross_entropy or bce_with_logits, not mse")
            default:
                break
            }
        }
        // A feature list names every column used, so an exclusion list beside it says nothing.
        if data.options.features != nil && !data.options.exclude.isEmpty {
            throw ConfigError(root.key("data").key("exclude"), "not used with data.features (which lists the columns used); give one of them")
        }
        if train.earlyStopping != nil {
            let path = root.key("train").key("early_stopping")
            if train.evalEvery == 0 { throw ConfigError(path, "needs train.eval_every > 0 (evaluations to watch), got eval_every 0") }
            if !data.hasValidation {
                throw ConfigError(path, "needs validation rows: data.validation_fraction is 0 and there is no data.validation_path")
            }
        }
        _ = try accumulationSteps(worldSize: 1)   // the batch divides (the world size is checked when it is known)
        if let samples = data.source.sampleCount { try checkSampleCount(samples) }
        // Sharding stops the deterministic reduction half way, which MPI_Allreduce has no step for.
        if distributed.shardOptimizer && distributed.reduction == .mpi {
            throw ConfigError(root.key("distributed").key("shard_optimizer"),
                              "needs reduction: deterministic (it keeps the reduce-scatter half of that reduction); got reduction: mpi")
        }
        if schedule.warmupSteps > train.steps {
            throw ConfigError(root.key("schedule").key("warmup_steps"),
                              "schedule.warmup_steps \(schedule.warmupSteps) exceeds train.steps \(train.steps)")
        }
        if schedule.type == .cosine && schedule.minLR > learningRate {
            throw ConfigError(root.key("schedule").key("min_lr"),
                              "schedule.min_lr \(configNumber(schedule.minLR)) exceeds the learning rate \(configNumber(learningRate))")
        }
    }

    /// `bce_with_logits` and `mse` need 1 output, `cross_entropy` at least 2.
    private func checkOutputFitsTheLoss() throws {
        let features = outputFeatures
        let need: String
        switch loss {
        case .bceWithLogits, .mse: if features == 1 { return } else { need = "exactly 1" }
        case .crossEntropy: if features >= 2 { return } else { need = "at least 2 (one logit per class)" }
        }
        let layers = ConfigPath.root.key("model").key("layers")
        guard let last = model.layers.lastIndex(where: { if case .linear = $0.kind { true } else { false } }) else {
            throw ConfigError(ConfigPath.root.key("model").key("input"), "the model has no linear layer, so it outputs its "
                              + "\(features) input features, but loss \(loss.rawValue) needs \(need)")
        }
        throw ConfigError(layers.index(last).key("out"), "the last linear layer '\(model.layerNames[last])' gives \(features) "
                          + "output\(features == 1 ? "" : "s"), but loss \(loss.rawValue) needs \(need)")
    }

    // MARK: what follows from the config

    /// The learning rate to hand the optimizer: `optimizer.lr` after `optimizer.lr_scaling`.
    public var learningRate: Double {
        optimizer.scaledLR(globalBatch: batch.global)
    }

    /// Micro-batches per optimizer step over all ranks: `batch.global / batch.micro` (0 when the
    /// batch does not split; `validate()` reports that).
    public var microBatchesPerStep: Int {
        (try? BatchPlan.microBatches(globalBatch: batch.global, microBatch: batch.micro, worldSize: 1)) ?? 0
    }

    /// The most micro-batches a rank runs (and accumulates) per step for `worldSize` ranks, rank 0's
    /// `⌈n / W⌉` (ranks take contiguous blocks that differ by at most one). The arithmetic and its
    /// refusals are `BatchPlan`'s: `world size 9 exceeds the 8 micro-batches per step (batch.global 256
    /// / batch.micro 32): use at most 8 ranks`.
    public func accumulationSteps(worldSize: Int) throws -> Int {
        do {
            let n = try BatchPlan.microBatches(globalBatch: batch.global, microBatch: batch.micro, worldSize: worldSize)
            return (n + worldSize - 1) / worldSize
        } catch {
            let path: ConfigPath = if case .notDivisible = error { ConfigPath.root.key("batch").key("global") } else { .root }
            throw ConfigError(path, error.message(global: "batch.global", micro: "batch.micro"), file: source)
        }
    }

    /// The model's layers with their sizes resolved (see `ResolvedLayer`).
    public func layerShapes() throws -> [ResolvedLayer] {
        do {
            return try model.layerShapes(at: ConfigPath.root.key("model"))
        } catch var error as ConfigError {
            error.file = source
            throw error
        }
    }

    /// Trainable parameters in the model.
    public func parameterCount() throws -> Int {
        try layerShapes().reduce(0) { $0 + $1.parameterCount }
    }

    /// Number of features the model outputs.
    public var outputFeatures: Int {
        model.layers.reduce(model.input) { features, layer in (try? layer.kind.shape(input: features, at: .root).out) ?? features }
    }

    /// Checks a data set's size once it is known (CSV files): at least one validation sample (unless
    /// `validation_fraction` is 0 or a separate validation file is given) and at least `batch.global`
    /// training samples.
    public func checkSampleCount(_ sampleCount: Int) throws {
        let path = ConfigPath.root.key("data")
        let (subject, described): (ConfigPath, String)
        if case .csv(let file, _) = data.source {
            (subject, described) = (path.key("path"), "\(file) has \(sampleCount) samples")
        } else if case .packed(let folder) = data.source {
            (subject, described) = (path.key("path"), "\(folder) has \(sampleCount) samples")
        } else {
            (subject, described) = (path.key("samples"), "data.samples \(sampleCount)")
        }
        let split = data.split(sampleCount: sampleCount)
        if split.validation < 1 && data.validationFraction > 0 && data.options.validationPath == nil {
            throw ConfigError(path.key("validation_fraction"), "\(described); validation_fraction "
                              + "\(configNumber(data.validationFraction)) leaves no validation sample", file: source)
        }
        if split.train < batch.global {
            throw ConfigError(subject, "\(described), which leaves \(split.train) for training, fewer than batch.global \(batch.global)",
                              file: source)
        }
    }
}
