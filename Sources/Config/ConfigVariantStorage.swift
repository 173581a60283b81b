/// The `type` of a layer: the one list of layer type names.
public enum LayerType: String, Sendable, Hashable, CaseIterable {
    case linear, batchnorm1d, layernorm, relu
    case leakyRelu = "leaky_relu"
    case gelu, tanh, sigmoid, dropout

    /// The layer with every default filled in (a linear layer's required `out` is 0 until read).
    var defaultKind: LayerConfig.Kind {
        switch self {
        case .linear: return .linear(out: 0)
        case .batchnorm1d: return .batchnorm1d()
        case .layernorm: return .layernorm()
        case .relu: return .relu
        case .leakyRelu: return .leakyRelu()
        case .gelu: return .gelu
        case .tanh: return .tanh
        case .sigmoid: return .sigmoid
        case .dropout: return .dropout()
        }
    }
}

extension LayerConfig.Kind {
    /// The layer's `type`.
    public var layerType: LayerType {
        switch self {
        case .linear: return .linear
        case .batchnorm1d: return .batchnorm1d
        case .layernorm: return .layernorm
        case .relu: return .relu
        case .leakyRelu: return .leakyRelu
        case .gelu: return .gelu
        case .tanh: return .tanh
        case .sigmoid: return .sigmoid
        case .dropout: return .dropout
        }
    }

    /// The `type` value in the YAML: `linear`, `batchnorm1d`, `leaky_relu`, …
    public var typeName: String { layerType.rawValue }

    /// Every `type` value, in documentation order.
    public static var typeNames: [String] { LayerType.allCases.map(\.rawValue) }
}

// The schema reads and writes a layer's keys through these properties, so that each key maps to one
// stored place whatever the layer's kind. A property that the kind does not have reads as a neutral
// value and ignores writes; the schema only touches the keys of the layer's own type.
extension LayerConfig {
    var out: Int {
        get { if case .linear(let out, _) = kind { return out } else { return 0 } }
        set { if case .linear(_, let bias) = kind { kind = .linear(out: newValue, bias: bias) } }
    }

    var bias: Bool {
        get { if case .linear(_, let bias) = kind { return bias } else { return false } }
        set { if case .linear(let out, _) = kind { kind = .linear(out: out, bias: newValue) } }
    }

    var eps: Double {
        get {
            switch kind {
            case .batchnorm1d(let eps, _, _), .layernorm(let eps, _): return eps
            default: return 0
            }
        }
        set {
            switch kind {
            case .batchnorm1d(_, let momentum, let affine): kind = .batchnorm1d(eps: newValue, momentum: momentum, affine: affine)
            case .layernorm(_, let affine): kind = .layernorm(eps: newValue, elementwiseAffine: affine)
            default: break
            }
        }
    }

    var momentum: Double {
        get { if case .batchnorm1d(_, let momentum, _) = kind { return momentum } else { return 0 } }
        set { if case .batchnorm1d(let eps, _, let affine) = kind { kind = .batchnorm1d(eps: eps, momentum: newValue, affine: affine) } }
    }

    var affine: Bool {
        get { if case .batchnorm1d(_, _, let affine) = kind { return affine } else { return false } }
        set { if case .batchnorm1d(let eps, let momentum, _) = kind { kind = .batchnorm1d(eps: eps, momentum: momentum, affine: newValue) } }
    }

    var elementwiseAffine: Bool {
        get { if case .layernorm(_, let affine) = kind { return affine } else { return false } }
        set { if case .layernorm(let eps, _) = kind { kind = .layernorm(eps: eps, elementwiseAffine: newValue) } }
    }

    var negativeSlope: Double {
        get { if case .leakyRelu(let slope) = kind { return slope } else { return 0 } }
        set { if case .leakyRelu = kind { kind = .leakyRelu(negativeSlope: newValue) } }
    }

    var p: Double {
        get { if case .dropout(let p) = kind { return p } else { return 0 } }
        set { if case .dropout = kind { kind = .dropout(p: newValue) } }
    }
}

extension DataConfig.Source {
    /// The `source` value in the YAML: the one list of source names.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        case syntheticClinical = "synthetic-clinical"
        case syntheticWide = "synthetic-wide"
        case csv

        /// The source with its required keys still unset.
        var blank: DataConfig.Source {
            switch self {
            case .syntheticClinical: return .syntheticClinical(samples: 0)
            case .syntheticWide: return .syntheticWide(samples: 0, features: 0, classes: 0)
            case .csv: return .csv(path: "", label: "")
            }
        }
    }

    public var kind: Kind {
        switch self {
        case .syntheticClinical: return .syntheticClinical
        case .syntheticWide: return .syntheticWide
        case .csv: return .csv
        }
    }

    /// The `source` value in the YAML.
    public var name: String { kind.rawValue }

    public static var names: [String] { Kind.allCases.map(\.rawValue) }
}

// As for layers: one stored place per key of each source.
extension DataConfig {
    var samples: Int {
        get { source.sampleCount ?? 0 }
        set {
            switch source {
            case .syntheticClinical: source = .syntheticClinical(samples: newValue)
            case .syntheticWide(_, let features, let classes):
                source = .syntheticWide(samples: newValue, features: features, classes: classes)
            case .csv: break
            }
        }
    }

    var features: Int {
        get { if case .syntheticWide(_, let features, _) = source { return features } else { return 0 } }
        set { if case .syntheticWide(let samples, _, let classes) = source { source = .syntheticWide(samples: samples, features: newValue, classes: classes) } }
    }

    var classes: Int {
        get { if case .syntheticWide(_, _, let classes) = source { return classes } else { return 0 } }
        set { if case .syntheticWide(let samples, let features, _) = source { source = .syntheticWide(samples: samples, features: features, classes: newValue) } }
    }

    var csvPath: String {
        get { if case .csv(let path, _) = source { return path } else { return "" } }
        set { if case .csv(_, let label) = source { source = .csv(path: newValue, label: label) } }
    }

    var csvLabel: String {
        get { if case .csv(_, let label) = source { return label } else { return "" } }
        set { if case .csv(let path, _) = source { source = .csv(path: path, label: newValue) } }
    }
}
