import Datasets

/// One layer of the model with its sizes resolved: a `linear` layer's input is the previous layer's
/// output; every other layer keeps the size it gets.
public struct ResolvedLayer: Sendable, Equatable {
    /// Position in `model.layers`.
    public var index: Int
    /// Module name: the layer's `name`, or its index ("2") when unnamed.
    public var name: String
    /// The YAML `type`: `linear`, `batchnorm1d`, …
    public var type: String
    public var kind: LayerConfig.Kind
    public var inFeatures: Int
    public var outFeatures: Int
    /// Trainable parameters: weight and bias of linear, affine weight and bias of the norms.
    public var parameterCount: Int
}

extension RunConfig {
    /// The learning rate to hand the optimizer: `optimizer.lr` after `optimizer.lr_scaling`.
    public var learningRate: Double {
        optimizer.scaledLR(globalBatch: batch.global)
    }

    /// Micro-batches per optimizer step over all ranks: `batch.global / batch.micro` (0 when the
    /// batch does not split; `validate()` reports that).
    public var microBatchesPerStep: Int {
        (try? batchPlan(worldSize: 1))?.microBatchesPerStep ?? 0
    }

    /// The most micro-batches a rank runs (and accumulates) per optimizer step for `worldSize` ranks,
    /// rank 0's `⌈n / W⌉` (ranks take contiguous blocks that differ by at most one). Throws
    /// `world size 9 exceeds the 8 micro-batches per step (batch.global 256 / batch.micro 32)` when
    /// there are more ranks than micro-batches.
    public func accumulationSteps(worldSize: Int) throws -> Int {
        guard worldSize >= 1 else {
            throw ConfigError(file: source, path: .root, message: "world size must be at least 1, got \(worldSize)")
        }
        // Both refusals are BatchPlan's (world size 1 can only fail on divisibility); this only words
        // them in the config's terms.
        let whole: BatchPlan
        do {
            whole = try batchPlan(worldSize: 1)
        } catch {
            throw ConfigError(file: source, path: ConfigPath.root.key("batch").key("global"),
                              message: "batch.global \(batch.global) is not divisible by batch.micro \(batch.micro)")
        }
        do {
            return try batchPlan(worldSize: worldSize).accumulationSteps
        } catch {
            throw ConfigError(file: source, path: .root,
                              message: "world size \(worldSize) exceeds the \(whole.microBatchesPerStep) micro-batches per step (batch.global \(batch.global) / batch.micro \(batch.micro))")
        }
    }

    /// One step's plan with a training set of exactly one global batch: the config knows no more
    /// about the data here, and the split does not depend on it.
    private func batchPlan(worldSize: Int) throws(DatasetError) -> BatchPlan {
        try BatchPlan(globalBatch: batch.global, microBatch: batch.micro, worldSize: worldSize,
                      trainCount: max(batch.global, 1))
    }

    /// The model as a list of layers with resolved sizes. Throws if a layer's size is invalid or the
    /// output does not fit the loss (`bce_with_logits` and `mse` need 1 output, `cross_entropy` at
    /// least 2).
    public func layerShapes() throws -> [ResolvedLayer] {
        let layersPath = ConfigPath.root.key("model").key("layers")
        let names = model.layerNames
        var features = model.input
        guard features > 0 else {
            throw fail(ConfigPath.root.key("model").key("input"), "expected a positive integer, got \(features)")
        }
        guard features <= Self.maxParameters else {
            throw fail(ConfigPath.root.key("model").key("input"), "expected at most \(Self.maxParameters) features, got \(features)")
        }
        var plan: [ResolvedLayer] = []
        var lastLinear: Int?
        var total = 0
        for (index, layer) in model.layers.enumerated() {
            let inFeatures = features
            var parameters = 0
            switch layer.kind {
            case .linear(let out, let bias):
                guard out > 0 else {
                    throw fail(layersPath.index(index).key("out"), "expected a positive integer, got \(out)")
                }
                features = out
                // Checked: a size such as 2⁶² would overflow here, before any allocation could refuse it.
                let (weights, overflow) = out.multipliedReportingOverflow(by: inFeatures)
                guard !overflow, weights <= Self.maxParameters else {
                    throw fail(layersPath.index(index).key("out"),
                               "\(inFeatures) × \(out) weights are more than any machine can hold (at most \(Self.maxParameters) parameters)")
                }
                parameters = weights + (bias ? out : 0)
                lastLinear = index
            case .batchnorm1d(_, _, let affine):
                parameters = affine ? 2 * features : 0
            case .layernorm(_, let affine):
                parameters = affine ? 2 * features : 0
            case .relu, .leakyRelu, .gelu, .tanh, .sigmoid, .dropout:
                break
            }
            total += parameters
            if total > Self.maxParameters {
                throw fail(layersPath.index(index), "the model has more than \(Self.maxParameters) parameters")
            }
            plan.append(ResolvedLayer(index: index, name: names[index], type: layer.kind.typeName,
                                      kind: layer.kind, inFeatures: inFeatures, outFeatures: features,
                                      parameterCount: parameters))
        }

        let need: String?
        switch loss {
        case .bceWithLogits, .mse: need = features == 1 ? nil : "exactly 1"
        case .crossEntropy: need = features >= 2 ? nil : "at least 2 (one logit per class)"
        }
        if let need {
            if let lastLinear {
                throw fail(layersPath.index(lastLinear).key("out"),
                           "the last linear layer '\(names[lastLinear])' gives \(features) output\(features == 1 ? "" : "s"), "
                           + "but loss \(loss.rawValue) needs \(need)")
            }
            throw fail(ConfigPath.root.key("model").key("input"),
                       "the model has no linear layer, so it outputs its \(features) input features, "
                       + "but loss \(loss.rawValue) needs \(need)")
        }
        return plan
    }

    /// A bound far above any model this runner can train, so that parameter counts never overflow.
    static let maxParameters = 1 << 40

    /// Number of features the model outputs.
    public var outputFeatures: Int {
        model.layers.reduce(model.input) { features, layer in
            if case .linear(let out, _) = layer.kind { return out }
            return features
        }
    }

    /// Trainable parameters in the model.
    public func parameterCount() throws -> Int {
        try layerShapes().reduce(0) { $0 + $1.parameterCount }
    }

    /// A table of the model for a log or `--dry-run`: one line per layer.
    public func modelSummary() throws -> String {
        let plan = try layerShapes()
        let nameWidth = max(4, plan.map(\.name.count).max() ?? 0)
        let typeWidth = max(4, plan.map(\.type.count).max() ?? 0)
        func pad(_ text: String, _ width: Int) -> String {
            text + String(repeating: " ", count: max(0, width - text.count))
        }
        var lines = [pad("name", nameWidth) + "  " + pad("type", typeWidth) + "  shape        params"]
        for layer in plan {
            lines.append(pad(layer.name, nameWidth) + "  " + pad(layer.type, typeWidth) + "  "
                         + pad("\(layer.inFeatures) → \(layer.outFeatures)", 11) + "  \(layer.parameterCount)")
        }
        lines.append("total parameters: \(plan.reduce(0) { $0 + $1.parameterCount })")
        return lines.joined(separator: "\n")
    }

    /// Checks a data set's size once it is known (CSV files): at least one validation sample (unless
    /// `validation_fraction` is 0 or a separate validation file is given) and at least `batch.global`
    /// training samples.
    public func checkSampleCount(_ sampleCount: Int) throws {
        let dataPath = ConfigPath.root.key("data")
        let subject: ConfigPath
        let described: String
        if case .csv(let path, _) = data.source {
            subject = dataPath.key("path")
            described = "\(path) has \(sampleCount) samples"
        } else {
            subject = dataPath.key("samples")
            described = "data.samples \(sampleCount)"
        }
        let split = data.split(sampleCount: sampleCount)
        if split.validation < 1 && data.validationFraction > 0 && data.options.validationPath == nil {
            throw fail(dataPath.key("validation_fraction"),
                       "\(described); validation_fraction \(configNumber(data.validationFraction)) leaves no validation sample")
        }
        if split.train < batch.global {
            throw fail(subject, "\(described), which leaves \(split.train) for training, fewer than batch.global \(batch.global)")
        }
    }

    /// Re-runs every check that loading runs after decoding: first each key's range (from
    /// `ConfigSchema`), then what ties keys together: layer names and sizes against the loss, data
    /// against the model, the batch arithmetic (`BatchPlan`), the optimizer's options, the schedule
    /// against the run.
    public func validate() throws {
        try ConfigSchema.root.check(self, at: .root, ConfigChecker(source: source))
        let root = ConfigPath.root

        // model: unique names, sizes that fit the loss.
        let layersPath = root.key("model").key("layers")
        var seen: [String: Int] = [:]
        for (index, layer) in model.layers.enumerated() {
            guard let name = layer.name else { continue }
            if let first = seen[name] {
                throw fail(layersPath.index(index).key("name"), "duplicate layer name '\(name)' (also \(layersPath.index(first)))")
            }
            seen[name] = index
        }
        _ = try layerShapes()

        // data against the model and the loss.
        let dataPath = root.key("data")
        if case .syntheticWide(_, let features, let classes) = data.source {
            if model.input != features {
                throw fail(root.key("model").key("input"),
                           "model.input \(model.input) does not match data.features \(features)")
            }
            switch loss {
            case .crossEntropy where outputFeatures != classes:
                throw fail(dataPath.key("classes"),
                           "data.classes \(classes) does not match the model's \(outputFeatures) outputs")
            case .bceWithLogits where classes != 2:
                throw fail(dataPath.key("classes"), "loss bce_with_logits needs data.classes 2, got \(classes)")
            case .mse:
                throw fail(root.key("loss"), "data.source synthetic-wide has class labels; use cross_entropy or bce_with_logits, not mse")
            default:
                break
            }
        }

        // A feature list names every column used, so an exclusion list beside it says nothing.
        if data.options.features != nil && !data.options.exclude.isEmpty {
            throw fail(dataPath.key("exclude"), "not used with data.features (which lists the columns used); give one of them")
        }

        // early stopping needs evaluations to watch.
        if train.earlyStopping != nil {
            let stopPath = root.key("train").key("early_stopping")
            if train.evalEvery == 0 {
                throw fail(stopPath, "needs train.eval_every > 0 (evaluations to watch), got eval_every 0")
            }
            if !data.hasValidation {
                throw fail(stopPath, "needs validation rows: data.validation_fraction is 0 and there is no data.validation_path")
            }
        }

        // batch: micro-batches must tile the global batch (the world size is checked when it is
        // known, `accumulationSteps(worldSize:)`).
        _ = try accumulationSteps(worldSize: 1)
        if let samples = data.source.sampleCount { try checkSampleCount(samples) }

        // optimizer
        let optPath = root.key("optimizer")
        if optimizer.type == .sgd && optimizer.nesterov && (optimizer.momentum == 0 || optimizer.dampening != 0) {
            throw fail(optPath.key("nesterov"), "nesterov needs momentum > 0 and dampening 0, got momentum "
                       + "\(configNumber(optimizer.momentum)) and dampening \(configNumber(optimizer.dampening))")
        }

        // distributed: sharding stops the deterministic reduction half way, which MPI_Allreduce has no step for.
        let distributedPath = root.key("distributed")
        if distributed.shardOptimizer && distributed.reduction == .mpi {
            throw fail(distributedPath.key("shard_optimizer"),
                       "needs reduction: deterministic (it keeps the reduce-scatter half of that reduction); got reduction: mpi")
        }

        // schedule against the run.
        let schedPath = root.key("schedule")
        if schedule.warmupSteps > train.steps {
            throw fail(schedPath.key("warmup_steps"),
                       "schedule.warmup_steps \(schedule.warmupSteps) exceeds train.steps \(train.steps)")
        }
        if schedule.type == .cosine && schedule.minLR > learningRate {
            throw fail(schedPath.key("min_lr"),
                       "schedule.min_lr \(configNumber(schedule.minLR)) exceeds the learning rate \(configNumber(learningRate))")
        }
    }

    func fail(_ path: ConfigPath, _ message: String) -> ConfigError {
        ConfigError(file: source, path: path, message: message)
    }
}

/// A number as a person would write it: `2` rather than `2.0`, `0.001`, `1e-05`.
func configNumber(_ value: Double) -> String {
    if value.isFinite, value == value.rounded(), abs(value) < 1e15 {
        return String(Int(value))
    }
    return value.description
}
