import ConfigCoding
/// `model`: the input width and the layers, applied in order (an `nn.Sequential`).
public struct ModelConfig: Sendable, Equatable, Decodable {
    /// Number of input features.
    public var input: Int
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

    public init(from decoder: Decoder) throws {
        let map = try ConfigMapping(decoder, keys: ["input", "layers", "checkpoint_activations"])
        self.init(input: try map.required("input"), layers: try map.list("layers", of: "layers") ?? map.missing("layers"))
        try map.read("checkpoint_activations", into: &checkpointActivations)
    }

    var canonical: ConfigValue {
        .map(["input": .int(input), "layers": .list(layers.map(\.canonical)),
              "checkpoint_activations": .bool(checkpointActivations)])
    }

    /// A bound far above any model this runner can train, so that parameter counts never overflow.
    static let maxParameters = 1 << 40

    /// Each layer's sizes, from `input` through the list; throws for a size out of range or a model
    /// too large to count.
    func layerShapes(at path: ConfigPath) throws -> [ResolvedLayer] {
        try path.key("input").positive(input)
        try path.key("input").expect(input <= Self.maxParameters, "at most \(Self.maxParameters) features", got: String(input))
        var features = input, total = 0
        return try zip(layers.indices, layerNames).map { index, name in
            let layerPath = path.key("layers").index(index)
            let (out, parameters) = try layers[index].kind.shape(input: features, at: layerPath)
            defer { features = out }
            total += parameters
            if total > Self.maxParameters { throw ConfigError(layerPath, "the model has more than \(Self.maxParameters) parameters") }
            return ResolvedLayer(index: index, name: name, type: layers[index].kind.typeName, kind: layers[index].kind,
                                 inFeatures: features, outFeatures: out, parameterCount: parameters)
        }
    }

    func validate(at path: ConfigPath) throws {
        try path.key("input").positive(input)
        if layers.isEmpty { throw ConfigError(path.key("layers"), "expected at least one layer") }
        var seen: [String: Int] = [:]
        for (index, layer) in layers.enumerated() {
            let layerPath = path.key("layers").index(index)
            try layer.validate(at: layerPath)
            guard let name = layer.name else { continue }
            if let first = seen[name] {
                throw ConfigError(layerPath.key("name"), "duplicate layer name '\(name)' (also \(path.key("layers").index(first)))")
            }
            seen[name] = index
        }
        _ = try layerShapes(at: path)
    }
}

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

/// One entry of `model.layers`: an optional module name and what the layer is. A layer without
/// keys may be written as its type alone (`- relu` is `- {type: relu}`).
public struct LayerConfig: Sendable, Equatable, Decodable {
    /// The name given in the file, if any (`ModelConfig.layerNames` gives the resolved one).
    public var name: String?
    public var kind: Kind

    public init(name: String? = nil, _ kind: Kind) {
        self.name = name
        self.kind = kind
    }

    static let commonKeys = ["name", "type"]

    public init(from decoder: Decoder) throws {
        // `- relu` is `- {type: relu}`, for a type without required keys.
        if let type = ConfigMapping.shorthand(decoder) {
            let path = ConfigPath(decoder.codingPath)
            let kind = try configChoice(type, among: Kind.typeNames, at: path.key("type"))
            do {
                self.init(try Kind.types.first { $0.name == kind }!.read(ConfigMapping(empty: path)))
            } catch let error as ConfigError where error.message == "required key is missing" {
                throw ConfigError(path, "a \(kind) layer needs a mapping with '\(error.keyPath.split(separator: ".").last ?? "")', got '\(type)'")
            }
            return
        }
        let map = try ConfigMapping(decoder)
        let type = try map.choice("type", among: Kind.typeNames) ?? map.missing("type")
        let spec = Kind.types.first { $0.name == type }!
        try map.only(Self.commonKeys + spec.keys, known: Kind.types.flatMap(\.keys), variant: "layer type \(type)")
        self.init(name: try map.optional("name"), try spec.read(map))
    }

    var canonical: ConfigValue {
        let (type, spec) = kind.parts
        return .map(ConfigValue.pairs(["name": name.map(ConfigValue.string), "type": .string(type)]) + (spec?.canonical ?? []))
    }

    func validate(at path: ConfigPath) throws {
        if let name {
            let ok = name.first.map { $0 == "_" || ($0.isASCII && $0.isLetter) } ?? false
                && name.allSatisfy { $0 == "_" || ($0.isASCII && ($0.isLetter || $0.isNumber)) }
            try path.key("name").expect(ok, "a name of letters, digits and '_' that does not start with a digit", got: "'\(name)'")
        }
        try kind.parts.spec?.validate(at: path)
    }
}
