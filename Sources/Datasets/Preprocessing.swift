/// Everything fitted on the training split that turns a raw CSV row into model inputs: per feature
/// column in model order, the imputation value, a missing-indicator flag, the standardisation mean and
/// scale, and for a categorical column its categories; plus the task and the class labels. Saved as
/// `preprocessing.json` next to a model and applied, never re-fitted, by `eval` and `predict`.
///
/// Encoded inputs per column, in order: a numeric column gives `(value − mean) / scale` (after
/// imputation) and, when `missingIndicator`, a 0/1 column `NAME__missing`; a categorical column gives
/// one 0/1 column `NAME=CATEGORY` per category (all zeros for an empty cell under an imputing policy,
/// or an unseen category under `unknownCategory: ignore`).
///
/// ```swift
/// let fitted = try Preprocessing(fitting: table, rows: split.trainIndices, options: options, standardize: true)
/// let train = try fitted.encode(table, rows: split.trainIndices)   // TabularDataset, featureCount = fitted.encodedWidth
/// ```
public struct Preprocessing: Sendable, Hashable, Codable {
    public static let currentFormat = "lockstep-preprocessing-v1"

    public struct Column: Sendable, Hashable, Codable {
        public enum Kind: String, Sendable, Hashable, Codable { case numeric, categorical }
        public var name: String
        public var kind: Kind
        /// The value an empty cell becomes; nil refuses empty cells.
        public var impute: Float?
        public var missingIndicator: Bool
        /// Standardisation (numeric only): mean 0 and scale 1 leave values as they are.
        public var mean: Float
        public var scale: Float
        /// The categories in one-hot order (categorical only).
        public var categories: [String]?

        enum CodingKeys: String, CodingKey {
            case name, kind, impute, mean, scale, categories, missingIndicator = "missing_indicator"
        }

        public var encodedWidth: Int {
            kind == .categorical ? (categories?.count ?? 0) : 1 + (missingIndicator ? 1 : 0)
        }
    }

    public var format: String
    public var task: DataOptions.TaskKind
    /// Number of classes (multiclass only).
    public var classes: Int?
    public var labelColumn: String?
    /// Class index ↔ label as written in the file (`"0"`, `"1"`, …); empty for regression.
    public var classLabels: [String]
    public var columns: [Column]
    public var unknownCategory: DataOptions.UnknownCategory
    /// The missing-value policy it was fitted with: `error`, `mean`, `median` or `constant` (an empty
    /// categorical cell is refused under `error`, else all zeros).
    public var missing: String
    /// The names of the model's input columns, in order.
    public var encodedFeatures: [String]

    public var encodedWidth: Int { encodedFeatures.count }

    enum CodingKeys: String, CodingKey {
        case format, task, classes, columns, missing
        case labelColumn = "label_column", classLabels = "class_labels", unknownCategory = "unknown_category"
        case encodedFeatures = "encoded_features"
    }

    public var datasetTask: TabularDataset.Task {
        switch task {
        case .binary: .binaryClassification
        case .multiclass: .multiclass(classes: classes ?? 1)
        case .regression: .regression
        }
    }

    public init(task: TabularDataset.Task, labelColumn: String?, columns: [Column],
                unknownCategory: DataOptions.UnknownCategory, missing: DataOptions.Missing = .error) {
        format = Self.currentFormat
        switch missing {
        case .error: self.missing = "error"
        case .mean: self.missing = "mean"
        case .median: self.missing = "median"
        case .constant: self.missing = "constant"
        }
        switch task {
        case .binaryClassification: (self.task, classes, classLabels) = (.binary, nil, ["0", "1"])
        case .multiclass(let k): (self.task, classes, classLabels) = (.multiclass, k, (0..<k).map(String.init))
        case .regression: (self.task, classes, classLabels) = (.regression, nil, [])
        }
        self.labelColumn = labelColumn
        self.columns = columns
        self.unknownCategory = unknownCategory
        encodedFeatures = Self.encodedNames(of: columns)
    }

    /// The model inputs `columns` encode to, in order: `NAME` and `NAME__missing` for a numeric column,
    /// `NAME=CATEGORY` per category for a categorical one. A saved file's `encoded_features` must be
    /// exactly these (`check(source:)`).
    public static func encodedNames(of columns: [Column]) -> [String] {
        columns.flatMap { column -> [String] in
            switch column.kind {
            case .numeric: [column.name] + (column.missingIndicator ? [column.name + "__missing"] : [])
            case .categorical: (column.categories ?? []).map { column.name + "=" + $0 }
            }
        }
    }

    /// Numeric columns with an optional standardizer: what a synthetic source or a plain numeric file needs.
    public init(numericColumns names: [String], standardizer: Standardizer?, task: TabularDataset.Task, labelColumn: String?) {
        let columns = names.enumerated().map { f, name in
            Column(name: name, kind: .numeric, impute: nil, missingIndicator: false,
                   mean: standardizer?.mean[f] ?? 0, scale: standardizer?.scale[f] ?? 1, categories: nil)
        }
        self.init(task: task, labelColumn: labelColumn, columns: columns, unknownCategory: .error)
    }
}
