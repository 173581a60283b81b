import ConfigCoding
/// A layer type's own keys (beyond `name` and `type`): read from the layer's mapping, written in
/// canonical order, range-checked, and its sizes.
protocol LayerSpec: Sendable, Equatable {
    init(_ map: ConfigMapping) throws
    /// The type's keys, in canonical order.
    var canonical: [ConfigValue.Pair] { get }
    func validate(at path: ConfigPath) throws
    /// Features out for `input` features in, and trainable parameters.
    func shape(input: Int, at path: ConfigPath) throws -> (out: Int, parameters: Int)
}

extension LayerSpec {
    func validate(at path: ConfigPath) throws {}
    func shape(input: Int, at path: ConfigPath) throws -> (out: Int, parameters: Int) { (input, 0) }
}

extension LayerConfig {
    /// What a layer is: its `type` and that type's own keys (docs/config.md).
    ///
    /// Adding a layer type: a case here, its `LayerSpec` below (unless it has no keys), a row in
    /// `types` and in `parts`; Training's `ModelBuilder` builds its module.
    public enum Kind: Sendable, Equatable {
        case linear(Linear)
        case batchnorm1d(BatchNorm1d)
        case layernorm(LayerNorm)
        case relu
        case leakyRelu(LeakyReLU)
        case gelu
        case tanh
        case sigmoid
        case dropout(Dropout)

        /// Every layer type, in documentation order: its `type`, its own keys, and how it is read.
        static let types: [(name: String, keys: [String], read: @Sendable (ConfigMapping) throws -> Kind)] = [
            ("linear", ["out", "bias"], { .linear(try Linear($0)) }),
            ("batchnorm1d", ["eps", "momentum", "affine"], { .batchnorm1d(try BatchNorm1d($0)) }),
            ("layernorm", ["eps", "elementwise_affine"], { .layernorm(try LayerNorm($0)) }),
            ("relu", [], { _ in .relu }),
            ("leaky_relu", ["negative_slope"], { .leakyRelu(try LeakyReLU($0)) }),
            ("gelu", [], { _ in .gelu }),
            ("tanh", [], { _ in .tanh }),
            ("sigmoid", [], { _ in .sigmoid }),
            ("dropout", ["p"], { .dropout(try Dropout($0)) }),
        ]

        /// The layer's `type` and its own keys (nil for a type without any).
        var parts: (type: String, spec: (any LayerSpec)?) {
            switch self {
            case .linear(let spec): ("linear", spec)
            case .batchnorm1d(let spec): ("batchnorm1d", spec)
            case .layernorm(let spec): ("layernorm", spec)
            case .relu: ("relu", nil)
            case .leakyRelu(let spec): ("leaky_relu", spec)
            case .gelu: ("gelu", nil)
            case .tanh: ("tanh", nil)
            case .sigmoid: ("sigmoid", nil)
            case .dropout(let spec): ("dropout", spec)
            }
        }

        /// The `type` value in the YAML: `linear`, `batchnorm1d`, `leaky_relu`, …
        public var typeName: String { parts.type }

        /// Every `type` value, in documentation order.
        public static var typeNames: [String] { types.map(\.name) }

        func shape(input: Int, at path: ConfigPath) throws -> (out: Int, parameters: Int) {
            try parts.spec?.shape(input: input, at: path) ?? (input, 0)
        }

        // With the keys' defaults: `.linear(out: 64)`, `.dropout(p: 0.3)`.
        public static func linear(out: Int, bias: Bool = true) -> Kind { .linear(Linear(out: out, bias: bias)) }
        public static func batchnorm1d(eps: Double = 1e-5, momentum: Double = 0.1, affine: Bool = true) -> Kind {
            .batchnorm1d(BatchNorm1d(eps: eps, momentum: momentum, affine: affine))
        }
        public static func layernorm(eps: Double = 1e-5, elementwiseAffine: Bool = true) -> Kind {
            .layernorm(LayerNorm(eps: eps, elementwiseAffine: elementwiseAffine))
        }
        public static func leakyRelu(negativeSlope: Double = 0.01) -> Kind { .leakyRelu(LeakyReLU(negativeSlope: negativeSlope)) }
        public static func dropout(p: Double = 0.5) -> Kind { .dropout(Dropout(p: p)) }
    }

    /// `linear`: `y = x Wᵀ + b` with `out` features; the input features come from the previous layer.
    public struct Linear: LayerSpec {
        public var out: Int
        public var bias = true

        init(_ map: ConfigMapping) throws {
            out = try map.required("out")
            try map.read("bias", into: &bias)
        }
        init(out: Int, bias: Bool) { (self.out, self.bias) = (out, bias) }
        var canonical: [ConfigValue.Pair] { ConfigValue.pairs(["out": .int(out), "bias": .bool(bias)]) }
        func validate(at path: ConfigPath) throws { try path.key("out").positive(out) }

        func shape(input: Int, at path: ConfigPath) throws -> (out: Int, parameters: Int) {
            try path.key("out").positive(out)
            // Checked: a size such as 2⁶² would overflow here, before any allocation could refuse it.
            let (weights, overflow) = out.multipliedReportingOverflow(by: input)
            guard !overflow, weights <= ModelConfig.maxParameters else {
                throw ConfigError(path.key("out"), "\(input) × \(out) weights are more than any machine can hold "
                                  + "(at most \(ModelConfig.maxParameters) parameters)")
            }
            return (out, weights + (bias ? out : 0))
        }
    }

    /// `batchnorm1d`: batch normalisation over the features (ghost batch norm per micro-batch);
    /// `momentum` is the newest batch's weight in the running statistics.
    public struct BatchNorm1d: LayerSpec {
        public var eps = 1e-5
        public var momentum = 0.1
        public var affine = true

        init(_ map: ConfigMapping) throws {
            try map.read("eps", into: &eps)
            try map.read("momentum", into: &momentum)
            try map.read("affine", into: &affine)
        }
        init(eps: Double, momentum: Double, affine: Bool) { (self.eps, self.momentum, self.affine) = (eps, momentum, affine) }
        var canonical: [ConfigValue.Pair] { ConfigValue.pairs(["eps": .double(eps), "momentum": .double(momentum), "affine": .bool(affine)]) }
        func validate(at path: ConfigPath) throws {
            try path.key("eps").positive(eps)
            try path.key("momentum").fraction(momentum, closed: true)
        }
        func shape(input: Int, at _: ConfigPath) -> (out: Int, parameters: Int) { (input, affine ? 2 * input : 0) }
    }

    /// `layernorm`: layer normalisation over the features.
    public struct LayerNorm: LayerSpec {
        public var eps = 1e-5
        public var elementwiseAffine = true

        init(_ map: ConfigMapping) throws {
            try map.read("eps", into: &eps)
            try map.read("elementwise_affine", into: &elementwiseAffine)
        }
        init(eps: Double, elementwiseAffine: Bool) { (self.eps, self.elementwiseAffine) = (eps, elementwiseAffine) }
        var canonical: [ConfigValue.Pair] { ConfigValue.pairs(["eps": .double(eps), "elementwise_affine": .bool(elementwiseAffine)]) }
        func validate(at path: ConfigPath) throws { try path.key("eps").positive(eps) }
        func shape(input: Int, at _: ConfigPath) -> (out: Int, parameters: Int) { (input, elementwiseAffine ? 2 * input : 0) }
    }

    /// `leaky_relu`: `x` for `x ≥ 0`, `negative_slope · x` below.
    public struct LeakyReLU: LayerSpec {
        public var negativeSlope = 0.01

        init(_ map: ConfigMapping) throws { try map.read("negative_slope", into: &negativeSlope) }
        init(negativeSlope: Double) { self.negativeSlope = negativeSlope }
        var canonical: [ConfigValue.Pair] { ConfigValue.pairs(["negative_slope": .double(negativeSlope)]) }
        func validate(at path: ConfigPath) throws { try path.key("negative_slope").finite(negativeSlope) }
    }

    /// `dropout`: zeroes each element with probability `p` in training and scales the rest by `1/(1-p)`.
    public struct Dropout: LayerSpec {
        public var p = 0.5

        init(_ map: ConfigMapping) throws { try map.read("p", into: &p) }
        init(p: Double) { self.p = p }
        var canonical: [ConfigValue.Pair] { ConfigValue.pairs(["p": .double(p)]) }
        func validate(at path: ConfigPath) throws { try path.key("p").fraction(p) }
    }
}
