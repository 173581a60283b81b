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

    /// Micro-batches per optimizer step over all ranks: `batch.global / batch.micro`.
    public var microBatchesPerStep: Int {
        batch.global / batch.micro
    }

    /// The most micro-batches a rank runs (and accumulates) per optimizer step for `worldSize` ranks,
    /// rank 0's `⌈n / W⌉` (ranks take contiguous blocks that differ by at most one). Throws
    /// `world size 9 exceeds the 8 micro-batches per step (batch.global 256 / batch.micro 32)` when
    /// there are more ranks than micro-batches.
    public func accumulationSteps(worldSize: Int) throws -> Int {
        guard worldSize >= 1 else {
            throw ConfigError(file: source, path: .root, message: "world size must be at least 1, got \(worldSize)")
        }
        let globalPath = ConfigPath.root.key("batch").key("global")
        guard batch.micro > 0, batch.global > 0, batch.global % batch.micro == 0 else {
            throw ConfigError(file: source, path: globalPath,
                              message: "batch.global \(batch.global) is not divisible by batch.micro \(batch.micro)")
        }
        let n = batch.global / batch.micro
        guard worldSize <= n else {
            throw ConfigError(file: source, path: .root,
                              message: "world size \(worldSize) exceeds the \(n) micro-batches per step (batch.global \(batch.global) / batch.micro \(batch.micro))")
        }
        return (n + worldSize - 1) / worldSize
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
        var plan: [ResolvedLayer] = []
        var lastLinear: Int?
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
                guard !overflow, weights <= Int.max - out else {
                    throw fail(layersPath.index(index).key("out"),
                               "\(inFeatures) × \(out) weights are more than any machine can hold")
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

    /// Checks a data set's size once it is known (CSV files): there must be at least one validation
    /// sample and at least `batch.global` training samples.
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
        if split.validation < 1 {
            throw fail(dataPath.key("validation_fraction"),
                       "\(described); validation_fraction \(configNumber(data.validationFraction)) leaves no validation sample")
        }
        if split.train < batch.global {
            throw fail(subject, "\(described), which leaves \(split.train) for training, fewer than batch.global \(batch.global)")
        }
    }

    /// Re-runs every check that loading runs after decoding: value ranges, layer sizes and loss, data
    /// against model, batch arithmetic, schedule against the run length.
    public func validate() throws {
        let root = ConfigPath.root

        // model
        let modelPath = root.key("model"), layersPath = modelPath.key("layers")
        if model.input <= 0 { throw fail(modelPath.key("input"), "expected a positive integer, got \(model.input)") }
        if model.layers.isEmpty { throw fail(layersPath, "expected at least one layer") }
        var seen: [String: Int] = [:]
        for (index, layer) in model.layers.enumerated() {
            let path = layersPath.index(index)
            if let name = layer.name {
                if !Self.isValidLayerName(name) {
                    throw fail(path.key("name"), "expected a name of letters, digits and '_' that does not start with a digit, got '\(name)'")
                }
                if let first = seen[name] {
                    throw fail(path.key("name"), "duplicate layer name '\(name)' (also \(layersPath.index(first)))")
                }
                seen[name] = index
            }
            switch layer.kind {
            case .linear(let out, _):
                if out <= 0 { throw fail(path.key("out"), "expected a positive integer, got \(out)") }
            case .batchnorm1d(let eps, let momentum, _):
                try positive(eps, path.key("eps"))
                try unitRange(momentum, path.key("momentum"), closedTop: true)
            case .layernorm(let eps, _):
                try positive(eps, path.key("eps"))
            case .leakyRelu(let slope):
                try finite(slope, path.key("negative_slope"))
            case .dropout(let p):
                try unitRange(p, path.key("p"), closedTop: false)
            case .relu, .gelu, .tanh, .sigmoid:
                break
            }
        }
        _ = try layerShapes()

        // data
        let dataPath = root.key("data")
        switch data.source {
        case .syntheticClinical(let samples):
            try positiveInt(samples, dataPath.key("samples"))
        case .syntheticWide(let samples, let features, let classes):
            try positiveInt(samples, dataPath.key("samples"))
            try positiveInt(features, dataPath.key("features"))
            if classes < 2 { throw fail(dataPath.key("classes"), "expected an integer ≥ 2, got \(classes)") }
            if model.input != features {
                throw fail(modelPath.key("input"), "model.input \(model.input) does not match data.features \(features)")
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
        case .csv(let path, let label):
            if path.isEmpty { throw fail(dataPath.key("path"), "expected a file path, got ''") }
            if label.isEmpty { throw fail(dataPath.key("label"), "expected a column name, got ''") }
        }
        let fraction = data.validationFraction
        if !(fraction > 0 && fraction < 1) {
            throw fail(dataPath.key("validation_fraction"), "expected a number in (0, 1), got \(configNumber(fraction))")
        }

        // batch
        let batchPath = root.key("batch")
        try positiveInt(batch.global, batchPath.key("global"))
        try positiveInt(batch.micro, batchPath.key("micro"))
        if batch.global % batch.micro != 0 {
            throw fail(batchPath.key("global"), "batch.global \(batch.global) is not divisible by batch.micro \(batch.micro)")
        }
        if let samples = data.source.sampleCount { try checkSampleCount(samples) }

        // optimizer
        let optPath = root.key("optimizer")
        try positive(optimizer.lr, optPath.key("lr"))
        try nonNegative(optimizer.weightDecay, optPath.key("weight_decay"))
        switch optimizer.type {
        case .sgd:
            try unitRange(optimizer.momentum, optPath.key("momentum"), closedTop: false)
            try unitRange(optimizer.dampening, optPath.key("dampening"), closedTop: true)
            if optimizer.nesterov && (optimizer.momentum == 0 || optimizer.dampening != 0) {
                throw fail(optPath.key("nesterov"), "nesterov needs momentum > 0 and dampening 0, got momentum "
                           + "\(configNumber(optimizer.momentum)) and dampening \(configNumber(optimizer.dampening))")
            }
        case .adam, .adamw:
            try unitRange(optimizer.betas.0, optPath.key("betas").index(0), closedTop: false)
            try unitRange(optimizer.betas.1, optPath.key("betas").index(1), closedTop: false)
            try positive(optimizer.eps, optPath.key("eps"))
        }
        if let scaling = optimizer.lrScaling {
            try positiveInt(scaling.referenceBatch, optPath.key("lr_scaling").key("reference_batch"))
        }

        // train (before schedule, which is checked against train.steps)
        let trainPath = root.key("train")
        try positiveInt(train.steps, trainPath.key("steps"))
        try nonNegativeInt(train.evalEvery, trainPath.key("eval_every"))
        try nonNegativeInt(train.logEvery, trainPath.key("log_every"))
        if let clip = train.gradClipNorm { try positive(clip, trainPath.key("grad_clip_norm")) }

        // schedule
        let schedPath = root.key("schedule")
        try nonNegativeInt(schedule.warmupSteps, schedPath.key("warmup_steps"))
        if schedule.warmupSteps > train.steps {
            throw fail(schedPath.key("warmup_steps"),
                       "schedule.warmup_steps \(schedule.warmupSteps) exceeds train.steps \(train.steps)")
        }
        switch schedule.type {
        case .constant:
            break
        case .cosine:
            try nonNegative(schedule.minLR, schedPath.key("min_lr"))
            if schedule.minLR > learningRate {
                throw fail(schedPath.key("min_lr"),
                           "schedule.min_lr \(configNumber(schedule.minLR)) exceeds the learning rate \(configNumber(learningRate))")
            }
        case .step:
            try positiveInt(schedule.stepSize, schedPath.key("step_size"))
            if !(schedule.gamma > 0 && schedule.gamma <= 1) {
                throw fail(schedPath.key("gamma"), "expected a number in (0, 1], got \(configNumber(schedule.gamma))")
            }
        }

        // distributed, output
        try nonNegativeInt(distributed.checkEvery, root.key("distributed").key("check_every"))
        let outPath = root.key("output")
        if output.dir.isEmpty { throw fail(outPath.key("dir"), "expected a directory path, got ''") }
        try nonNegativeInt(output.checkpointEvery, outPath.key("checkpoint_every"))
        try positiveInt(output.keepCheckpoints, outPath.key("keep_checkpoints"))
    }

    static func isValidLayerName(_ name: String) -> Bool {
        guard let first = name.first, first == "_" || (first.isASCII && first.isLetter) else { return false }
        return name.allSatisfy { $0 == "_" || ($0.isASCII && ($0.isLetter || $0.isNumber)) }
    }

    // MARK: helpers

    func fail(_ path: ConfigPath, _ message: String) -> ConfigError {
        ConfigError(file: source, path: path, message: message)
    }

    private func positive(_ value: Double, _ path: ConfigPath) throws {
        if !(value > 0 && value.isFinite) { throw fail(path, "expected a positive number, got \(configNumber(value))") }
    }

    private func nonNegative(_ value: Double, _ path: ConfigPath) throws {
        if !(value >= 0 && value.isFinite) { throw fail(path, "expected a number ≥ 0, got \(configNumber(value))") }
    }

    private func finite(_ value: Double, _ path: ConfigPath) throws {
        if !value.isFinite { throw fail(path, "expected a finite number, got \(configNumber(value))") }
    }

    /// [0, 1) or [0, 1].
    private func unitRange(_ value: Double, _ path: ConfigPath, closedTop: Bool) throws {
        let ok = value >= 0 && (closedTop ? value <= 1 : value < 1)
        if !ok { throw fail(path, "expected a number in [0, 1\(closedTop ? "]" : ")"), got \(configNumber(value))") }
    }

    private func positiveInt(_ value: Int, _ path: ConfigPath) throws {
        if value <= 0 { throw fail(path, "expected a positive integer, got \(value)") }
    }

    private func nonNegativeInt(_ value: Int, _ path: ConfigPath) throws {
        if value < 0 { throw fail(path, "expected a non-negative integer, got \(value)") }
    }
}

/// A number as a person would write it: `2` rather than `2.0`, `0.001`, `1e-05`.
func configNumber(_ value: Double) -> String {
    if value.isFinite, value == value.rounded(), abs(value) < 1e15 {
        return String(Int(value))
    }
    return value.description
}
