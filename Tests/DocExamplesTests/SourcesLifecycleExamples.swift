import Foundation
import Testing
import TensorCore
import Autograd
import NN
import Datasets
import Config
import Distributed
@testable import Training

// The ```swift blocks of the run lifecycle (saved preprocessing, CSV options, prediction, early
// stopping, run folders, TensorBoard) in Autograd, Datasets and Training, and of docs/datasets.md's
// data options, each compiled inside a function (DataProvenance's memberwise init is internal,
// hence the @testable import).

enum LifecycleDatasetsExamples {
    static func overlapTrial(sync: GradientSynchronizer, statistics: Tensor, offset: Int, t: Double, w: Int) {
        var trial = OverlapTrial()
        sync.overlapEnabled = trial.overlapsNextStep        // before each step
        trial.record(into: statistics, at: offset)           // with the last micro-batch's statistics
        trial.stepFinished(seconds: t, reduced: statistics, at: offset, ranks: w)   // after the reduction
    }

    static func stepStatistics(bn1: BatchNorm1d, bn2: BatchNorm1d) {
        let statistics = StepStatistics(batchNorms: [bn1, bn2], overlapTrial: false)
        statistics.record(lossSum: 12.5, stop: nil)        // after a micro-batch's backward
    }

    static func preprocessingCheck(bytes: Data) throws {
        let saved = try JSONDecoder().decode(Preprocessing.self, from: bytes)
        try saved.check(source: "runs/x/preprocessing.json")
    }

    static func weightedLoss(logits: Tensor, targets: Tensor) throws {
        let loss = try Loss.binaryCrossEntropyWithLogits(logits, targets, positiveWeight: 9, reduction: .sum)
        _ = loss
    }

    static func csvLineReader() throws {
        let reader = try CSVLineReader(path: "new_patients.csv")
        while let count = try reader.nextLine({ bytes, line in line.count }) { print(reader.lineNumber, count) }
    }

    static func dataOptions() {
        var options = DataOptions()
        options.exclude = ["patient_id", "notes"]
        options.missing = .median
        options.missingIndicators = true
        options.categorical = ["sex", "site"]
        _ = options
    }

    static func predictionReader(saved: Preprocessing) throws {
        let reader = try PredictionReader(path: "new.csv", preprocessing: saved, idColumn: "patient_id")
        var x: [Float] = [], ids: [String] = []
        while try reader.read(limit: 4096, into: &x, ids: &ids, skipBadRows: false, onSkip: { print($0) }) > 0 {
            x.removeAll(); ids.removeAll()   // once these rows are predicted
        }
    }

    static func preprocessing(table: RawTable, split: DataSplit, options: DataOptions) throws {
        let fitted = try Preprocessing(fitting: table, rows: split.trainIndices, options: options, standardize: true)
        let train = try fitted.encode(table, rows: split.trainIndices)   // TabularDataset, featureCount = fitted.encodedWidth
        _ = train
    }

    static func preprocessingFile(saved: Preprocessing) throws {
        let test = try saved.encodeFile("test.csv")   // labels checked against the trained task
        _ = test
    }

    static func rawTable(options: DataOptions, trainRows: [Int]) throws {
        let table = try RawTable(path: "patients.csv", label: "outcome", options: options)
        let fitted = try Preprocessing(fitting: table, rows: trainRows, options: options, standardize: true)
        let train = try fitted.encode(table, rows: trainRows)
        _ = train
    }

    static func tableLayout(options: DataOptions, path: String) throws {
        let layout = try TableLayout(header: ["id", "age", "sex", "label"], options: options, label: "label", source: path)
        layout.featureNames   // ["age", "sex"] when options.exclude == ["id"]
    }

    /// docs/datasets.md, "Data options".
    static func datasetsDocOptions(config: RunConfig) throws {
        let options = DataOptions(exclude: ["patient_id", "notes"], missing: .median, missingIndicators: true,
                                  categorical: ["sex", "site"])
        let data = try PreparedData(config: config, options: options)
        data.preprocessing.encodedFeatures   // age, age__missing, bmi, bmi__missing, sex=F, sex=M, site=A, site=B, site=C
    }
}

enum LifecycleTrainingExamples {
    static func outputGuard() throws {
        try OutputGuard.check("preds.csv", option: "--output", inputs: ["new.csv"], runFolders: ["runs/x"])
    }

    static func dataProvenance() {
        DataProvenance(role: "train", path: "patients.csv", rows: 1200, sha256: "9f86d0…")
    }

    static func earlyStopping(run: TrainingRun) {
        run.earlyStopping = EarlyStopping(metric: "auc", patience: 3, minDelta: 0.001)   // mode: max (from the metric)
    }

    static func evaluator(model: Module, validation: TabularDataset) throws {
        let result = try Evaluator(loss: .bceWithLogits).evaluate(model, on: validation)
        print(result.auc!, result.f1!)
    }

    static func predictor() throws {
        let report = try Predictor(folder: try RunFolder.load("runs/x"), weights: "runs/x/model.safetensors")
            .predict(input: "new.csv", output: "preds.csv", idColumn: "id")
        _ = report
    }

    static func preparedData(config: RunConfig) throws {
        let data = try PreparedData(config: config, options: DataOptions(exclude: ["id"], missing: .median))
        data.preprocessing.encodedFeatures   // what model.input must count
    }

    static func runFolder(config: RunConfig, prepared: PreparedData) throws {
        try RunFolder.write(config: config, data: prepared, to: "runs/x")
        let saved = try RunFolder.load("runs/x")   // saved.config, saved.preprocessing
        _ = saved
    }

    static func previousRun() throws {
        try PreviousRun.check("runs/x", resume: false, overwrite: false)   // throws if runs/x holds a run
    }

    static func runFolderValidation() throws {
        let rows = try RunFolder.load("runs/x").validationSet()   // refused if the data changed since training
        _ = rows
    }

    static func savedWeights(config: RunConfig) throws {
        let model = try SavedWeights.load("runs/x/model.safetensors", config: config)   // in eval mode
        _ = model
    }

    static func streamingOutputFile() throws {
        let out = try StreamingOutputFile(path: "preds.csv")
        try out.write("id,prob\n")
        try out.commit()
    }

    static func tensorBoardWriter() throws {
        let tb = try TensorBoardWriter(directory: "runs/x/tensorboard")
        try tb.add(step: 10, scalars: [("train/loss", 0.41), ("train/lr", 0.1)])
    }

    static func crc32c() {
        CRC32C.checksum(Array("123456789".utf8))   // 0xE3069283
    }

    static func runCurves() throws {
        try RunCurves.write(runs: ["runs/a", "runs/b"], metric: "auc", to: "auc.svg")
    }
}
