import Foundation
import Datasets
import Config

/// The training and validation splits a config asks for, standardised if it says so.
public struct PreparedData: Sendable {
    public let train: TabularDataset
    public let validation: TabularDataset
    /// Fitted on the training split; nil when the config does not standardise.
    public let standardizer: Standardizer?

    /// Loads or generates the data, splits it by the config's seed and standardises it.
    public init(config: RunConfig) throws {
        let full: TabularDataset
        switch config.data.source {
        case .syntheticClinical(let samples):
            full = SyntheticClinical(seed: config.seed).dataset(count: samples)
        case let .syntheticWide(samples, features, classes):
            full = SyntheticWide(seed: config.seed, features: features, classes: classes).dataset(count: samples)
        case let .csv(path, label):
            full = try CSVLoader(labelColumn: label).load(path: path)
            try config.checkSampleCount(full.count)   // as loading does for synthetic sources (docs/config.md)
        }
        guard full.featureCount == config.model.input else {
            throw TrainingError("\(config.source): model.input is \(config.model.input) but the data has \(full.featureCount) features")
        }
        try Self.checkTask(full.task, loss: config.loss, outputs: config.outputFeatures, source: config.source)
        let split = try DataSplit(count: full.count, validationFraction: config.data.validationFraction, seed: config.seed)
        var (train, validation) = split.apply(to: full)
        if config.data.standardize {
            let s = Standardizer(fitting: train)
            (train, validation) = (s.apply(to: train), s.apply(to: validation))
            standardizer = s
        } else {
            standardizer = nil
        }
        self.train = train
        self.validation = validation
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
