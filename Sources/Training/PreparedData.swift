import Foundation
import Datasets
import PackedData
import Config

/// The training and validation splits a config asks for, turned into model inputs by a fitted
/// `Preprocessing` (or by a saved one, which is then applied and never re-fitted).
///
/// ```swift
/// let data = try PreparedData(config: config, options: DataOptions(exclude: ["id"], missing: .median))
/// data.preprocessing.encodedFeatures   // what model.input must count
/// ```
public struct PreparedData: Sendable {
    /// Rows in memory (`TabularDataset`: synthetic or CSV data) or on disk (`PackedRows`).
    public let train: any LabeledRows
    public let validation: any LabeledRows
    /// Fitted on the training split; nil when the config does not standardise or the inputs are not
    /// all plain numeric columns (the full picture is `preprocessing`).
    public let standardizer: Standardizer?
    /// What turns a raw row into model inputs: saved as the run folder's `preprocessing.json`.
    public let preprocessing: Preprocessing
    /// The files read (empty paths' hashes for generated data are nil).
    public let provenance: [DataProvenance]
    /// The fraction of the main file held out for validation (0 with a validation file).
    public let validationFraction: Double

    /// Whether there is a validation split (false with validation fraction 0).
    public var hasValidation: Bool { validation.count > 0 }

    /// The config's data with its own options (`data.exclude`, `data.missing`, …).
    public init(config: RunConfig) throws {
        try self.init(config: config, options: config.data.options)
    }

    /// Loads or generates the data, splits it by the config's seed (or takes `options.validationPath`
    /// as the validation set) and fits the preprocessing on the training rows, or applies `fitted`.
    /// `options` replace the config's `data.options` (and its `validationFraction`, when set).
    public init(config given: RunConfig, options: DataOptions, fitted: Preprocessing? = nil) throws {
        var config = given   // one view of the options, so that the sample-count checks see them too
        config.data.options = options
        config.data.options.validationFraction = nil
        if let fraction = options.validationFraction { config.data.validationFraction = fraction }
        let fraction = config.data.validationFraction
        switch config.data.source {
        case .syntheticClinical(let samples):
            try self.init(synthetic: SyntheticClinical(seed: config.seed).dataset(count: samples), name: config.data.source.name,
                          config: config, fraction: fraction, fitted: fitted)
        case let .syntheticWide(samples, features, classes):
            try self.init(synthetic: SyntheticWide(seed: config.seed, features: features, classes: classes).dataset(count: samples),
                          name: config.data.source.name, config: config, fraction: fraction, fitted: fitted)
        case let .csv(path, label):
            let hasher = FileHasher()
            let table = try RawTable(path: path, label: label, options: options, onChunk: hasher.update)
            try config.checkSampleCount(table.count)   // as loading does for synthetic sources (docs/config.md)
            var sources = [DataProvenance(role: "train", path: path, rows: table.count, sha256: hasher.hex)]
            let trainRows: [Int], validationRows: [Int]
            var validationTable = table
            if let validationPath = options.validationPath {
                let validationHasher = FileHasher()
                validationTable = try RawTable(path: validationPath, label: label, options: options, onChunk: validationHasher.update)
                sources.append(DataProvenance(role: "validation", path: validationPath, rows: validationTable.count, sha256: validationHasher.hex))
                (trainRows, validationRows) = (Array(0..<table.count), Array(0..<validationTable.count))
            } else {
                let split = try config.data.order.split(count: table.count, validationFraction: fraction, seed: config.seed)
                (trainRows, validationRows) = (split.trainIndices, split.validationIndices)
            }
            let preprocessing = try fitted
                ?? Preprocessing(fitting: table, rows: trainRows, options: options, standardize: config.data.standardize)
            let plain = preprocessing.columns.allSatisfy { $0.kind == .numeric && !$0.missingIndicator }
            self.init(train: try preprocessing.encode(table, rows: trainRows),
                      validation: try preprocessing.encode(validationTable, rows: validationRows),
                      standardizer: config.data.standardize && plain
                        ? Standardizer(mean: preprocessing.columns.map(\.mean), scale: preprocessing.columns.map(\.scale)) : nil,
                      preprocessing: preprocessing, provenance: sources,
                      validationFraction: options.validationPath == nil ? fraction : 0)
        case .packed(let folder):
            let pack = try PackedDataSet(directory: folder)
            let manifest = pack.manifest
            if let fitted, fitted != manifest.preprocessing {
                throw TrainingError("\(folder): the pack's preprocessing is not the one saved with the model; it was packed again or is another pack")
            }
            config.data.validationFraction = manifest.split.validationFraction
            try config.checkSampleCount(manifest.source.rows)
            self.init(train: pack.train, validation: pack.validation, standardizer: nil, preprocessing: manifest.preprocessing,
                      provenance: [DataProvenance(role: "train", path: folder, rows: manifest.source.rows, sha256: manifest.source.sha256)],
                      validationFraction: manifest.split.validationFraction)
        }
        try Self.checkInputs(preprocessing, config: config)
        try Self.checkTask(train.task, loss: config.loss, outputs: config.outputFeatures, source: config.source)
    }

    private init(train: any LabeledRows, validation: any LabeledRows, standardizer: Standardizer?,
                 preprocessing: Preprocessing, provenance: [DataProvenance], validationFraction: Double) {
        self.validationFraction = validationFraction
        self.train = train
        self.validation = validation
        self.standardizer = standardizer
        self.preprocessing = preprocessing
        self.provenance = provenance
    }

    private init(synthetic full: TabularDataset, name: String, config: RunConfig, fraction: Double, fitted: Preprocessing?) throws {
        let split = try config.data.order.split(count: full.count, validationFraction: fraction, seed: config.seed)
        var (train, validation) = split.apply(to: full)
        let standardizer: Standardizer?, preprocessing: Preprocessing
        if let fitted {
            guard fitted.columns.count == full.featureCount, fitted.columns.allSatisfy({ $0.kind == .numeric && !$0.missingIndicator }) else {
                throw TrainingError("\(name): the saved preprocessing has \(fitted.encodedWidth) inputs, the generated data \(full.featureCount)")
            }
            let s = Standardizer(mean: fitted.columns.map(\.mean), scale: fitted.columns.map(\.scale))
            (train, validation) = (s.apply(to: train), s.apply(to: validation))
            standardizer = config.data.standardize ? s : nil
            preprocessing = fitted
        } else if config.data.standardize {
            let s = Standardizer(fitting: train)
            (train, validation) = (s.apply(to: train), s.apply(to: validation))
            standardizer = s
            preprocessing = Preprocessing(numericColumns: full.featureNames, standardizer: s, task: full.task, labelColumn: nil)
        } else {
            standardizer = nil
            preprocessing = Preprocessing(numericColumns: full.featureNames, standardizer: nil, task: full.task, labelColumn: nil)
        }
        self.init(train: train, validation: validation, standardizer: standardizer, preprocessing: preprocessing,
                  provenance: [DataProvenance(role: "train", path: name, rows: full.count, sha256: nil)],
                  validationFraction: fraction)
    }

    static func checkInputs(_ preprocessing: Preprocessing, config: RunConfig) throws {
        let width = preprocessing.encodedWidth
        guard width == config.model.input else {
            let names = preprocessing.encodedFeatures
            let shown = names.prefix(30).joined(separator: ", ") + (names.count > 30 ? ", …" : "")
            throw TrainingError("\(config.source): model.input is \(config.model.input) but the data has \(width) features (\(shown))")
        }
    }

    static func checkTask(_ task: TabularDataset.Task, loss: RunConfig.Loss, outputs: Int, source: String) throws {
        switch (task, loss) {
        case (.binaryClassification, .bceWithLogits), (.regression, .mse), (.binaryClassification, .mse):
            return
        case (.multiclass(let classes), .crossEntropy):
            guard outputs == classes else {
                throw TrainingError("\(source): the data has \(classes) classes but the model has \(outputs) outputs")
            }
        case (.binaryClassification, .crossEntropy):
            guard outputs == 2 else {
                throw TrainingError("\(source): binary labels with cross_entropy need 2 outputs, the model has \(outputs)")
            }
        default:
            throw TrainingError("\(source): loss \(loss.rawValue) does not fit a \(task) task")
        }
    }
}
