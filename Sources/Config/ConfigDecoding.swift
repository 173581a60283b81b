import Yams

/// Strict decoding of the YAML node tree into `RunConfig`: every mapping is checked against the keys
/// it may hold (so a typo is an error, never silently ignored), every scalar against its type, every
/// enumerated value against its allowed list. Range and cross-field checks live in `validate()`.
///
/// An explicit `null` (`key: ~`, `key:`) means "not given": the default applies, or the key is
/// reported missing if it is required.
struct ConfigDecoder {
    let source: String

    func error(_ path: ConfigPath, _ message: String, node: YAMLNode? = nil, subject: ConfigPath? = nil) -> ConfigError {
        var error = ConfigError(file: source, path: path, message: message, subject: subject)
        error.line = node?.mark?.line
        return error
    }

    // MARK: scalars

    static func isNull(_ node: YAMLNode) -> Bool {
        if case .scalar = node { return node.configTag == .null }
        return false
    }

    /// How a node is shown after "got": `1.5`, `true`, `'hinge'`, `null`, `a mapping`, `a list`.
    static func describe(_ node: YAMLNode) -> String {
        switch node {
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .scalar(let scalar):
            switch node.configTag {
            case .null: return "null"
            case .int, .float, .bool: return scalar.string
            default: return "'\(scalar.string)'"
            }
        }
    }

    func typeError(_ path: ConfigPath, expected: String, _ node: YAMLNode) -> ConfigError {
        error(path, "expected \(expected), got \(Self.describe(node))", node: node)
    }

    func int(_ node: YAMLNode, _ path: ConfigPath) throws -> Int {
        if case .scalar(let scalar) = node, node.configTag == .int, let value = Int.construct(from: scalar) {
            return value
        }
        throw typeError(path, expected: "an integer", node)
    }

    func double(_ node: YAMLNode, _ path: ConfigPath) throws -> Double {
        if case .scalar(let scalar) = node {
            switch node.configTag {
            case .int:
                if let value = Int.construct(from: scalar) { return Double(value) }
            case .float:
                if let value = Double.construct(from: scalar) {
                    guard value.isFinite else { throw typeError(path, expected: "a finite number", node) }
                    return value
                }
            default:
                break
            }
        }
        throw typeError(path, expected: "a number", node)
    }

    func bool(_ node: YAMLNode, _ path: ConfigPath) throws -> Bool {
        if case .scalar(let scalar) = node, node.configTag == .bool, let value = Bool.construct(from: scalar) {
            return value
        }
        throw typeError(path, expected: "true or false", node)
    }

    func string(_ node: YAMLNode, _ path: ConfigPath) throws -> String {
        if case .scalar(let scalar) = node, node.configTag != .null {
            return scalar.string
        }
        throw typeError(path, expected: "a string", node)
    }

    func choice<E: RawRepresentable & CaseIterable>(_ node: YAMLNode, _ path: ConfigPath, as _: E.Type) throws -> E
    where E.RawValue == String {
        let allowed = E.allCases.map(\.rawValue)
        let text = try oneOf(node, path, allowed: allowed)
        return E(rawValue: text)!
    }

    /// A string that must be one of `allowed`:
    /// `loss: expected one of bce_with_logits, cross_entropy, mse, got 'hinge'`.
    func oneOf(_ node: YAMLNode, _ path: ConfigPath, allowed: [String]) throws -> String {
        let list = allowed.joined(separator: ", ")
        guard case .scalar(let scalar) = node, node.configTag != .null else {
            throw typeError(path, expected: "one of \(list)", node)
        }
        if allowed.contains(scalar.string) { return scalar.string }
        var message = "expected one of \(list), got \(Self.describe(node))"
        if let guess = configClosestMatch(to: scalar.string, in: allowed) {
            message += " (did you mean '\(guess)'?)"
        }
        throw error(path, message, node: node)
    }

    func seed(_ node: YAMLNode, _ path: ConfigPath) throws -> UInt64 {
        if case .scalar(let scalar) = node, node.configTag == .int {
            if let value = Int.construct(from: scalar) {
                if value >= 0 { return UInt64(value) }
            } else if let value = UInt64(scalar.string.replacingOccurrences(of: "_", with: "")) {
                return value
            }
        }
        throw typeError(path, expected: "a non-negative integer", node)
    }

    // MARK: the tree

    func decodeRoot(_ root: YAMLNode) throws -> RunConfig {
        let top = try ConfigMappingReader(root, at: .root, decoder: self)
        try top.checkKeys(allowed: ["seed", "model", "data", "loss", "batch", "optimizer", "schedule", "train",
                                    "distributed", "output"])
        let seed = try top.optional("seed") { try self.seed($0, $1) } ?? 0
        let model = try decodeModel(top.required("model"), top.path("model"))
        let data = try decodeData(top.required("data"), top.path("data"))
        let loss = try choice(top.required("loss"), top.path("loss"), as: RunConfig.Loss.self)
        let batch = try decodeBatch(top.required("batch"), top.path("batch"))
        let optimizer = try decodeOptimizer(top.required("optimizer"), top.path("optimizer"))
        let schedule = try top.optional("schedule") { try decodeSchedule($0, $1) } ?? ScheduleConfig()
        let train = try decodeTrain(top.required("train"), top.path("train"))
        let distributed = try top.optional("distributed") { try decodeDistributed($0, $1) } ?? DistributedConfig()
        let output = try decodeOutput(top.required("output"), top.path("output"))
        return RunConfig(seed: seed, model: model, data: data, loss: loss, batch: batch, optimizer: optimizer,
                         schedule: schedule, train: train, distributed: distributed, output: output,
                         source: source)
    }

    func decodeModel(_ node: YAMLNode, _ path: ConfigPath) throws -> ModelConfig {
        let map = try ConfigMappingReader(node, at: path, decoder: self)
        try map.checkKeys(allowed: ["input", "layers", "checkpoint_activations"])
        let input = try int(map.required("input"), map.path("input"))
        let layersPath = map.path("layers")
        let layersNode = try map.required("layers")
        guard case .sequence(let items) = layersNode else {
            throw typeError(layersPath, expected: "a list of layers", layersNode)
        }
        var layers: [LayerConfig] = []
        for (index, item) in items.enumerated() {
            layers.append(try decodeLayer(item, layersPath.index(index)))
        }
        let checkpoint = try map.optional("checkpoint_activations") { try bool($0, $1) } ?? false
        return ModelConfig(input: input, layers: layers, checkpointActivations: checkpoint)
    }

    func decodeLayer(_ node: YAMLNode, _ path: ConfigPath) throws -> LayerConfig {
        // Shorthand: `- relu` is `- {type: relu}`.
        if case .scalar = node, !Self.isNull(node) {
            let type = try oneOf(node, path.key("type"), allowed: LayerConfig.Kind.typeNames)
            guard ConfigSchema.layer.keys(for: type).contains("out") == false else {
                throw error(path, "a linear layer needs a mapping with 'out', got \(Self.describe(node))", node: node)
            }
            return try decodeLayer(YAMLNode([(YAMLNode("type"), node)]), path)
        }
        let map = try ConfigMappingReader(node, at: path, decoder: self)
        let type = try oneOf(map.required("type"), map.path("type"), allowed: LayerConfig.Kind.typeNames)
        try map.checkKeys(ConfigSchema.layer, variant: type, label: "layer type \(type)")
        let name = try map.optional("name") { try string($0, $1) }
        let kind: LayerConfig.Kind
        switch type {
        case "linear":
            kind = .linear(out: try int(map.required("out"), map.path("out")),
                           bias: try map.optional("bias") { try bool($0, $1) } ?? true)
        case "batchnorm1d":
            kind = .batchnorm1d(eps: try map.optional("eps") { try double($0, $1) } ?? 1e-5,
                                momentum: try map.optional("momentum") { try double($0, $1) } ?? 0.1,
                                affine: try map.optional("affine") { try bool($0, $1) } ?? true)
        case "layernorm":
            kind = .layernorm(eps: try map.optional("eps") { try double($0, $1) } ?? 1e-5,
                              elementwiseAffine: try map.optional("elementwise_affine") { try bool($0, $1) } ?? true)
        case "relu": kind = .relu
        case "gelu": kind = .gelu
        case "tanh": kind = .tanh
        case "sigmoid": kind = .sigmoid
        case "leaky_relu":
            kind = .leakyRelu(negativeSlope: try map.optional("negative_slope") { try double($0, $1) } ?? 0.01)
        case "dropout":
            kind = .dropout(p: try map.optional("p") { try double($0, $1) } ?? 0.5)
        default:
            fatalError("unreachable: \(type) is in LayerConfig.Kind.typeNames")
        }
        return LayerConfig(name: name, kind)
    }

    func decodeData(_ node: YAMLNode, _ path: ConfigPath) throws -> DataConfig {
        let map = try ConfigMappingReader(node, at: path, decoder: self)
        let sourceName = try oneOf(map.required("source"), map.path("source"), allowed: DataConfig.Source.names)
        try map.checkKeys(ConfigSchema.data, variant: sourceName, label: "data.source \(sourceName)")
        let source: DataConfig.Source
        switch sourceName {
        case "synthetic-clinical":
            source = .syntheticClinical(samples: try int(map.required("samples"), map.path("samples")))
        case "synthetic-wide":
            source = .syntheticWide(samples: try int(map.required("samples"), map.path("samples")),
                                    features: try int(map.required("features"), map.path("features")),
                                    classes: try int(map.required("classes"), map.path("classes")))
        default:
            source = .csv(path: try string(map.required("path"), map.path("path")),
                          label: try string(map.required("label"), map.path("label")))
        }
        return DataConfig(source: source,
                          validationFraction: try map.optional("validation_fraction") { try double($0, $1) } ?? 0.2,
                          shuffle: try map.optional("shuffle") { try bool($0, $1) } ?? true,
                          standardize: try map.optional("standardize") { try bool($0, $1) })
    }

    func decodeBatch(_ node: YAMLNode, _ path: ConfigPath) throws -> BatchConfig {
        let map = try ConfigMappingReader(node, at: path, decoder: self)
        try map.checkKeys(allowed: ["global", "micro"])
        return BatchConfig(global: try int(map.required("global"), map.path("global")),
                           micro: try int(map.required("micro"), map.path("micro")))
    }

    func decodeOptimizer(_ node: YAMLNode, _ path: ConfigPath) throws -> OptimizerConfig {
        let map = try ConfigMappingReader(node, at: path, decoder: self)
        let type = try choice(map.required("type"), map.path("type"), as: OptimizerConfig.Kind.self)
        try map.checkKeys(ConfigSchema.optimizer, variant: type.rawValue, label: "optimizer.type \(type.rawValue)")
        var config = OptimizerConfig(type: type, lr: try double(map.required("lr"), map.path("lr")))
        if let decay = try map.optional("weight_decay", { try double($0, $1) }) { config.weightDecay = decay }
        if let value = try map.optional("momentum", { try double($0, $1) }) { config.momentum = value }
        if let value = try map.optional("dampening", { try double($0, $1) }) { config.dampening = value }
        if let value = try map.optional("nesterov", { try bool($0, $1) }) { config.nesterov = value }
        if let value = try map.optional("betas", { try betas($0, $1) }) { config.betas = value }
        if let value = try map.optional("eps", { try double($0, $1) }) { config.eps = value }
        config.lrScaling = try map.optional("lr_scaling") { node, path in
            let scaling = try ConfigMappingReader(node, at: path, decoder: self)
            try scaling.checkKeys(allowed: ["reference_batch", "rule"])
            return OptimizerConfig.LRScaling(
                referenceBatch: try int(scaling.required("reference_batch"), scaling.path("reference_batch")),
                rule: try scaling.optional("rule") { try choice($0, $1, as: OptimizerConfig.LRScaling.Rule.self) }
                    ?? .linear)
        }
        return config
    }

    func betas(_ node: YAMLNode, _ path: ConfigPath) throws -> (Double, Double) {
        guard case .sequence(let items) = node, items.count == 2 else {
            throw typeError(path, expected: "a list of two numbers [beta1, beta2]", node)
        }
        let values = try items.enumerated().map { try double($1, path.index($0)) }
        return (values[0], values[1])
    }

    func decodeSchedule(_ node: YAMLNode, _ path: ConfigPath) throws -> ScheduleConfig {
        let map = try ConfigMappingReader(node, at: path, decoder: self)
        let type = try map.optional("type") { try choice($0, $1, as: ScheduleConfig.Kind.self) } ?? .constant
        try map.checkKeys(ConfigSchema.schedule, variant: type.rawValue, label: "schedule.type \(type.rawValue)")
        var config = ScheduleConfig(type: type)
        if let value = try map.optional("warmup_steps", { try int($0, $1) }) { config.warmupSteps = value }
        if let value = try map.optional("min_lr", { try double($0, $1) }) { config.minLR = value }
        if type == .step { config.stepSize = try int(map.required("step_size"), map.path("step_size")) }
        if let value = try map.optional("gamma", { try double($0, $1) }) { config.gamma = value }
        return config
    }

    func decodeTrain(_ node: YAMLNode, _ path: ConfigPath) throws -> TrainConfig {
        let map = try ConfigMappingReader(node, at: path, decoder: self)
        try map.checkKeys(allowed: ["steps", "eval_every", "log_every", "grad_clip_norm"])
        return TrainConfig(steps: try int(map.required("steps"), map.path("steps")),
                           evalEvery: try map.optional("eval_every") { try int($0, $1) } ?? 0,
                           logEvery: try map.optional("log_every") { try int($0, $1) } ?? 10,
                           gradClipNorm: try map.optional("grad_clip_norm") { try double($0, $1) })
    }

    func decodeDistributed(_ node: YAMLNode, _ path: ConfigPath) throws -> DistributedConfig {
        let map = try ConfigMappingReader(node, at: path, decoder: self)
        try map.checkKeys(allowed: ["reduction", "check_every"])
        return DistributedConfig(
            reduction: try map.optional("reduction") { try choice($0, $1, as: DistributedConfig.Reduction.self) }
                ?? .deterministic,
            checkEvery: try map.optional("check_every") { try int($0, $1) } ?? 50)
    }

    func decodeOutput(_ node: YAMLNode, _ path: ConfigPath) throws -> OutputConfig {
        let map = try ConfigMappingReader(node, at: path, decoder: self)
        try map.checkKeys(allowed: ["dir", "checkpoint_every", "keep_checkpoints"])
        return OutputConfig(dir: try string(map.required("dir"), map.path("dir")),
                            checkpointEvery: try map.optional("checkpoint_every") { try int($0, $1) } ?? 0,
                            keepCheckpoints: try map.optional("keep_checkpoints") { try int($0, $1) } ?? 3)
    }
}

/// One YAML mapping being decoded: string keys, no duplicates, merge keys (`<<: *anchor`) expanded.
struct ConfigMappingReader {
    let decoder: ConfigDecoder
    let base: ConfigPath
    let node: YAMLNode
    private(set) var entries: [(key: String, value: YAMLNode, keyNode: YAMLNode)] = []

    init(_ node: YAMLNode, at path: ConfigPath, decoder: ConfigDecoder) throws {
        self.decoder = decoder
        self.base = path
        self.node = node
        guard case .mapping(let mapping) = node else {
            throw decoder.typeError(path, expected: "a mapping", node)
        }
        var merged: [(key: String, value: YAMLNode, keyNode: YAMLNode)] = []
        for (keyNode, value) in mapping {
            if case .scalar = keyNode, keyNode.configTag == .merge {
                let sources: [YAMLNode]
                switch value {
                case .mapping: sources = [value]
                case .sequence(let items): sources = Array(items)
                case .scalar: throw decoder.typeError(path.key("<<"), expected: "a mapping to merge", value)
                }
                for source in sources {
                    let inner = try ConfigMappingReader(source, at: path, decoder: decoder)
                    for entry in inner.entries where !merged.contains(where: { $0.key == entry.key }) {
                        merged.append(entry)
                    }
                }
                continue
            }
            guard case .scalar(let key) = keyNode, keyNode.configTag != .null else {
                throw decoder.error(path, "expected keys to be names, got \(ConfigDecoder.describe(keyNode))",
                                    node: keyNode)
            }
            if entries.contains(where: { $0.key == key.string }) {
                throw decoder.error(path, "duplicate key '\(key.string)'", node: keyNode,
                                    subject: path.key(key.string))
            }
            entries.append((key.string, value, keyNode))
        }
        // Keys given explicitly win over merged ones.
        for entry in merged where !entries.contains(where: { $0.key == entry.key }) {
            entries.append(entry)
        }
    }

    func path(_ key: String) -> ConfigPath { base.key(key) }

    /// Rejects any key not in `allowed`. A key that is valid elsewhere in this mapping's family
    /// (`known`, e.g. `momentum` under an adam optimizer) is reported as not applying to `variant`.
    func checkKeys(allowed: [String], known: [String] = [], variant: String? = nil) throws {
        for entry in entries where !allowed.contains(entry.key) {
            if known.contains(entry.key), let variant {
                if ConfigDecoder.isNull(entry.value) { continue }
                throw decoder.error(path(entry.key), "not used with \(variant) (keys: \(allowed.joined(separator: ", ")))",
                                    node: entry.keyNode)
            }
            var message = "unknown key '\(entry.key)'"
            if let guess = configClosestMatch(to: entry.key, in: allowed) {
                message += " (did you mean '\(guess)'?)"
            } else {
                message += " (allowed: \(allowed.joined(separator: ", ")))"
            }
            throw decoder.error(base, message, node: entry.keyNode, subject: path(entry.key))
        }
    }

    /// `checkKeys` for a mapping whose keys depend on its discriminator (`type`, `source`). Keys whose
    /// value is null are "not given" and may stay whatever the variant.
    func checkKeys(_ family: ConfigSchema.Family, variant: String, label: String) throws {
        try checkKeys(allowed: family.keys(for: variant), known: family.allKeys, variant: label)
    }

    /// The value of `key`, or nil if absent or null.
    func value(_ key: String) -> YAMLNode? {
        guard let entry = entries.first(where: { $0.key == key }), !ConfigDecoder.isNull(entry.value) else {
            return nil
        }
        return entry.value
    }

    func required(_ key: String) throws -> YAMLNode {
        if let value = value(key) { return value }
        throw decoder.error(path(key), "required key is missing", node: node)
    }

    func optional<T>(_ key: String, _ read: (YAMLNode, ConfigPath) throws -> T) throws -> T? {
        guard let value = value(key) else { return nil }
        return try read(value, path(key))
    }
}

extension YAMLNode {
    /// The resolved tag (`tag:yaml.org,2002:int`, …) of this node.
    var configTag: YAMLTag.Name { YAMLTag.Name(rawValue: tag.description) }
}

/// The keys of the mappings whose keys depend on a discriminator. Used by the decoder, and by
/// overrides that change a discriminator (`--set optimizer.type=adam` drops `momentum`).
enum ConfigSchema {
    struct Family: Sendable {
        /// The key that picks the variant: `type` or `source`.
        let discriminator: String
        let common: [String]
        let variants: [(name: String, keys: [String])]

        func keys(for variant: String) -> [String] {
            common + (variants.first { $0.name == variant }?.keys ?? [])
        }

        var allKeys: [String] {
            var keys = common
            for (_, extra) in variants { keys += extra.filter { !keys.contains($0) } }
            return keys
        }
    }

    static let layer = Family(discriminator: "type", common: ["name", "type"], variants: [
        ("linear", ["out", "bias"]),
        ("batchnorm1d", ["eps", "momentum", "affine"]),
        ("layernorm", ["eps", "elementwise_affine"]),
        ("relu", []), ("leaky_relu", ["negative_slope"]), ("gelu", []), ("tanh", []), ("sigmoid", []),
        ("dropout", ["p"]),
    ])

    static let data = Family(discriminator: "source", common: ["source", "validation_fraction", "shuffle", "standardize"],
                             variants: [
                                 ("synthetic-clinical", ["samples"]),
                                 ("synthetic-wide", ["samples", "features", "classes"]),
                                 ("csv", ["path", "label"]),
                             ])

    static let optimizer = Family(discriminator: "type", common: ["type", "lr", "weight_decay", "lr_scaling"], variants: [
        ("sgd", ["momentum", "dampening", "nesterov"]),
        ("adam", ["betas", "eps"]),
        ("adamw", ["betas", "eps"]),
    ])

    static let schedule = Family(discriminator: "type", common: ["type", "warmup_steps"], variants: [
        ("constant", []), ("cosine", ["min_lr"]), ("step", ["step_size", "gamma"]),
    ])

    /// The family of the mapping at `path`, if its keys depend on a discriminator.
    static func family(at path: ConfigPath) -> Family? {
        switch path.components {
        case [.key("data")]: return data
        case [.key("optimizer")]: return optimizer
        case [.key("schedule")]: return schedule
        case let components where components.count == 3 && components[0] == .key("model")
            && components[1] == .key("layers"):
            if case .index = components[2] { return layer }
            return nil
        default: return nil
        }
    }
}

// Yams' types under names of their own: the Training module also sees Autograd's `Node`.
typealias YAMLNode = Yams.Node
typealias YAMLTag = Yams.Tag
typealias YAMLMark = Yams.Mark
