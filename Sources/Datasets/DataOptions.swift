/// How a CSV file becomes model inputs: which columns, what to do with empty cells and text
/// categories, and which task the label column holds. Every default keeps today's behaviour (all
/// non-label columns, numeric, no empty cells, task inferred from the labels).
///
/// A config file sets them with the `data.*` keys of a `csv` source (docs/config.md), which Config
/// stores as `DataConfig.options`; code can also pass them to `PreparedData(config:options:)`.
///
/// ```swift
/// var options = DataOptions()
/// options.exclude = ["patient_id", "notes"]
/// options.missing = .median
/// options.missingIndicators = true
/// options.categorical = ["sex", "site"]
/// ```
public struct DataOptions: Sendable, Hashable, Codable {
    /// What to do with an empty cell in a feature column.
    public enum Missing: Sendable, Hashable, Codable {
        /// The row is refused with an error naming file, line and column.
        case error
        /// Replaced by the column's mean over the training split.
        case mean
        /// Replaced by the column's median over the training split (the mean of the two middle values).
        case median
        /// Replaced by this value.
        case constant(Float)
    }

    /// What to do with a category that the training split never showed.
    public enum UnknownCategory: String, Sendable, Hashable, Codable, CaseIterable {
        /// The row is refused with an error naming file, line, column and value.
        case error
        /// The category's one-hot block is all zeros (as scikit-learn's `handle_unknown="ignore"`).
        case ignore
    }

    /// The learning task; `nil` infers it from the labels (see `CSVLoader`).
    public enum TaskKind: String, Sendable, Hashable, Codable, CaseIterable {
        case binary, multiclass, regression
    }

    /// The feature columns in the order the model sees them; `nil` means every column but the label
    /// and the excluded ones, in file order.
    public var features: [String]?
    /// Columns never used as features (ids, free text); only with `features == nil`.
    public var exclude: [String]
    public var missing: Missing
    /// Adds a 0/1 column `NAME__missing` after each numeric column that had an empty cell in the
    /// training split (as scikit-learn's `SimpleImputer(add_indicator=True)`).
    public var missingIndicators: Bool
    /// Text columns one-hot encoded, categories from the training split, sorted.
    public var categorical: [String]
    public var unknownCategory: UnknownCategory
    public var task: TaskKind?
    /// A separate labelled file for validation; the whole main file then trains.
    public var validationPath: String?
    /// Overrides `data.validation_fraction` when set; 0 trains on every row and skips validation.
    public var validationFraction: Double?

    public init(features: [String]? = nil, exclude: [String] = [], missing: Missing = .error,
                missingIndicators: Bool = false, categorical: [String] = [], unknownCategory: UnknownCategory = .error,
                task: TaskKind? = nil, validationPath: String? = nil,
                validationFraction: Double? = nil) {
        self.features = features
        self.exclude = exclude
        self.missing = missing
        self.missingIndicators = missingIndicators
        self.categorical = categorical
        self.unknownCategory = unknownCategory
        self.task = task
        self.validationPath = validationPath
        self.validationFraction = validationFraction
    }

    /// Whether an empty cell is refused.
    var refusesMissing: Bool { missing == .error }
}

extension DataOptions.Missing {
    /// The policies by name, as the config key `data.missing` spells them.
    public static let names = ["error", "mean", "median", "constant"]

    /// The policy called `name` (`constant` fills in `value`); nil for an unknown name.
    public init?(name: String, value: Float) {
        switch name {
        case "error": self = .error
        case "mean": self = .mean
        case "median": self = .median
        case "constant": self = .constant(value)
        default: return nil
        }
    }

    /// `error`, `mean`, `median` or `constant`.
    public var name: String {
        switch self {
        case .error: return "error"
        case .mean: return "mean"
        case .median: return "median"
        case .constant: return "constant"
        }
    }
}
