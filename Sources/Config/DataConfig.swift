import ConfigCoding
import Datasets

/// `data`: where samples come from, the share held out for validation (0: none, and no validation
/// metrics), shuffling, standardisation (default: on for CSV), and a CSV's `DataOptions` (columns,
/// empty cells, categories, task, validation file; their `validationFraction` stays nil).
public struct DataConfig: Sendable, Equatable, Decodable {
    public var source: Source
    public var validationFraction = 0.2
    public var shuffle = true
    public var standardize: Bool
    /// How the validation split is drawn and each epoch ordered: in memory (`shuffle`, every run's
    /// order before `keyed`) or per sample in O(1) memory (`keyed`).
    public var order = SampleOrder.shuffle
    public var options = DataOptions()

    public init(source: Source) {
        self.source = source
        if case .csv = source { standardize = true } else { standardize = false }
    }

    /// Whether the run has validation rows: a separate validation file or a non-zero fraction.
    public var hasValidation: Bool { options.validationPath != nil || validationFraction > 0 }

    /// How `sampleCount` samples split: `validation = round(sampleCount × validationFraction)` (halves
    /// away from zero), `train` = the rest; with a separate validation file every sample trains.
    public func split(sampleCount: Int) -> (train: Int, validation: Int) {
        if options.validationPath != nil { return (sampleCount, 0) }
        let validation = Int((Double(sampleCount) * validationFraction).rounded(.toNearestOrAwayFromZero))
        return (sampleCount - validation, validation)
    }

    public enum Source: Sendable, Equatable {
        /// The built-in synthetic clinical data set (binary outcome).
        case syntheticClinical(samples: Int)
        /// Random features for speed work: `features` inputs, labels in `0..<classes`.
        case syntheticWide(samples: Int, features: Int, classes: Int)
        /// A CSV file with a header row; `label` names the target column, every other column is a
        /// feature. `path` is relative to the current directory.
        case csv(path: String, label: String)
        /// A folder written by `lockstep data pack`: rows already split and preprocessed, read by each
        /// rank only where its micro-batches are (docs/datasets.md, "Packed data").
        case packed(path: String)

        /// Every source with its own keys, in documentation order (a CSV's are followed by its options).
        static let kinds = [("synthetic-clinical", ["samples"]), ("synthetic-wide", ["samples", "features", "classes"]),
                            ("csv", ["path", "label"] + DataConfig.csvOptionKeys), ("packed", ["path"])]

        /// The `source` value in the YAML.
        public var name: String {
            switch self {
            case .syntheticClinical: "synthetic-clinical"
            case .syntheticWide: "synthetic-wide"
            case .csv: "csv"
            case .packed: "packed"
            }
        }

        /// The number of samples when the config knows it (synthetic sources), nil for CSV.
        public var sampleCount: Int? {
            switch self {
            case .syntheticClinical(let samples), .syntheticWide(let samples, _, _): samples
            case .csv, .packed: nil
            }
        }
    }

    static let commonKeys = ["source", "validation_fraction", "shuffle", "standardize", "order"]
    static let packedKeys = ["source", "shuffle", "order"]
    static let csvOptionKeys = ["features", "exclude", "missing", "missing_value", "missing_indicators", "categorical",
                                "unknown_category", "task", "validation_path"]

    public init(from decoder: Decoder) throws {
        let map = try ConfigMapping(decoder)
        let name = try map.choice("source", among: Source.kinds.map(\.0)) ?? map.missing("source")
        // A pack was split and preprocessed when it was made: those keys would say nothing.
        let common = name == "packed" ? Self.packedKeys : Self.commonKeys
        try map.only(common + Source.kinds.first { $0.0 == name }!.1,
                     known: Source.kinds.flatMap(\.1) + Self.commonKeys, variant: "data.source \(name)")
        switch name {
        case "synthetic-clinical": self.init(source: .syntheticClinical(samples: try map.required("samples")))
        case "synthetic-wide":
            self.init(source: .syntheticWide(samples: try map.required("samples"), features: try map.required("features"),
                                             classes: try map.required("classes")))
        case "packed": self.init(source: .packed(path: try map.required("path")))
        default: self.init(source: .csv(path: try map.required("path"), label: try map.required("label")))
        }
        try map.read("validation_fraction", into: &validationFraction)
        try map.read("shuffle", into: &shuffle)
        try map.read("standardize", into: &standardize)
        order = try map.choice("order") ?? order
        if case .packed = source { order = try map.choice("order") ?? .keyed }
        if case .csv = source { try readOptions(map) }
    }

    private mutating func readOptions(_ map: ConfigMapping) throws {
        options.features = try map.list("features", of: "column names")
        options.exclude = try map.list("exclude", of: "column names") ?? []
        if let missing = try map.choice("missing", among: DataOptions.Missing.names) {
            options.missing = DataOptions.Missing(name: missing, value: 0)!
        }
        if let value: Float = try map.optional("missing_value") {
            guard case .constant = options.missing else {
                throw ConfigError(map.path.key("missing_value"), "only used with data.missing: constant, not \(options.missing.name)")
            }
            options.missing = .constant(value)
        }
        try map.read("missing_indicators", into: &options.missingIndicators)
        options.categorical = try map.list("categorical", of: "column names") ?? []
        try options.unknownCategory = map.choice("unknown_category") ?? .error
        options.task = try map.choice("task")
        options.validationPath = try map.optional("validation_path")
    }

    var canonical: ConfigValue {
        let own: [ConfigValue.Pair]
        switch source {
        case .syntheticClinical(let samples): own = ConfigValue.pairs(["samples": .int(samples)])
        case .syntheticWide(let samples, let features, let classes):
            own = ConfigValue.pairs(["samples": .int(samples), "features": .int(features), "classes": .int(classes)])
        case .csv(let path, let label): own = ConfigValue.pairs(["path": .string(path), "label": .string(label)])
        case .packed(let path):
            return .map(ConfigValue.pairs(["source": .string(source.name), "path": .string(path), "shuffle": .bool(shuffle),
                                           "order": .string(order.rawValue)]))
        }
        return .map(ConfigValue.pairs(["source": .string(source.name)]) + own
            + ConfigValue.pairs(["validation_fraction": .double(validationFraction), "shuffle": .bool(shuffle),
                                 "standardize": .bool(standardize),
                                 "order": .unless(order, is: .shuffle) { .string($0.rawValue) }]) + csvCanonical)
    }

    /// The CSV options that differ from their defaults (keys added after configs were shipped).
    private var csvCanonical: [ConfigValue.Pair] {
        guard case .csv = source else { return [] }
        let names = { (list: [String]) in ConfigValue.list(list.map(ConfigValue.string)) }
        let defaults = DataOptions()
        var missingValue: ConfigValue?
        if case .constant(let value) = options.missing, Double(value).bitPattern != 0 { missingValue = .double(Double(value)) }
        return ConfigValue.pairs([
            "features": options.features.map(names),
            "exclude": .unless(options.exclude, is: defaults.exclude, names),
            "missing": .unless(options.missing.name, is: defaults.missing.name, ConfigValue.string),
            "missing_value": missingValue,
            "missing_indicators": .unless(options.missingIndicators, is: defaults.missingIndicators, ConfigValue.bool),
            "categorical": .unless(options.categorical, is: defaults.categorical, names),
            "unknown_category": .unless(options.unknownCategory.rawValue, is: defaults.unknownCategory.rawValue, ConfigValue.string),
            "task": options.task.map { .string($0.rawValue) },
            "validation_path": options.validationPath.map(ConfigValue.string),
        ])
    }

    func validate(at path: ConfigPath) throws {
        switch source {
        case .syntheticClinical(let samples):
            try path.key("samples").positive(samples)
        case .syntheticWide(let samples, let features, let classes):
            try path.key("samples").positive(samples)
            try path.key("features").positive(features)
            try path.key("classes").atLeastTwo(classes)
        case .csv(let file, let label):
            try path.key("path").nonEmpty(file, "a file path")
            try path.key("label").nonEmpty(label, "a column name")
        case .packed(let folder):
            try path.key("path").nonEmpty(folder, "a folder path")
        }
        try path.key("validation_fraction").fraction(validationFraction)
        try path.key("features").names(options.features ?? [], "column name")
        try path.key("exclude").names(options.exclude, "column name")
        if case .constant(let value) = options.missing { try path.key("missing_value").finite(Double(value)) }
        try path.key("categorical").names(options.categorical, "column name")
        if let file = options.validationPath { try path.key("validation_path").nonEmpty(file, "a file path") }
    }
}
