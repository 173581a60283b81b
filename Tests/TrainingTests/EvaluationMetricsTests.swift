import Foundation
import Testing
import TensorCore
import NN
import Datasets
import Training

/// Metrics of known outputs: the model is a Linear layer set to the identity, so logits = inputs.
@Suite("evaluation metrics per task, undefined metrics as null with a reason")
struct EvaluationMetricsTests {
    static func identity(_ width: Int) -> Linear {
        let layer = Linear(width, width, bias: false, key: RandomKey(seed: 1, stream: .initialization))
        for i in 0..<width { for j in 0..<width { layer.weight.setElement(i * width + j, i == j ? 1 : 0) } }
        return layer
    }

    @Test func binary() throws {
        // logits 2, −1, 3, −2, 0.5 against labels 1, 1, 0, 0, 1: TP 2 (rows 0, 4), FP 1 (row 2), FN 1 (row 1).
        let data = TabularDataset(featureNames: ["z"], features: [2, -1, 3, -2, 0.5], targets: [1, 1, 0, 0, 1], task: .binaryClassification)
        let r = try Evaluator(loss: .bceWithLogits).evaluate(Self.identity(1), on: data)
        #expect(r.accuracy == 0.6 && r.precision == 2.0 / 3 && r.recall == 2.0 / 3)
        #expect(abs(r.f1! - 2.0 / 3) < 1e-15)
        #expect(r.auc == 0.5)   // positives 2, −1, 0.5 over negatives 3, −2: 3 of 6 pairs ordered
        let weighted = try Evaluator(loss: .bceWithLogits, positiveWeight: 3).evaluate(Self.identity(1), on: data)
        #expect(weighted.loss > r.loss)   // the positive terms count three times
    }

    @Test func binaryWithOneClassHasNoAUCAndSaysWhy() throws {
        let data = TabularDataset(featureNames: ["z"], features: [-1, -2], targets: [1, 1], task: .binaryClassification)
        let r = try Evaluator(loss: .bceWithLogits).evaluate(Self.identity(1), on: data)
        #expect(r.auc == nil && r.undefined["auc"] == "the data holds only one class")
        #expect(r.precision == nil && r.undefined["precision"] == "no row was predicted positive")
        let text = try JSONOutput.line(r)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(json["auc"] is NSNull && json["precision"] is NSNull)
        #expect(!text.contains("nan") && !text.contains("inf"))
        #expect(json["auc_undefined"] as? String == "the data holds only one class")
        #expect(json["precision_undefined"] as? String == "no row was predicted positive")
    }

    @Test func multiclass() throws {
        let data = TabularDataset(featureNames: ["a", "b", "c"], features: [1, 0, 0, 0, 1, 0, 0, 0, 1],
                                  targets: [0, 0, 2], task: .multiclass(classes: 3))
        let r = try Evaluator(loss: .crossEntropy).evaluate(Self.identity(3), on: data)
        #expect(r.confusion == [[1, 1, 0], [0, 0, 0], [0, 0, 1]])
        #expect(r.perClassAccuracy == [0.5, nil, 1])
        #expect(abs(r.accuracy! - 2.0 / 3) < 1e-15)
        #expect(r.auc == nil && r.undefined.isEmpty)
        let table = EvaluationTable.render(r, source: "test")
        #expect(table.contains("per-class accuracy: 0 0.500  1 n/a  2 1.000"))
    }

    @Test func regression() throws {
        let data = TabularDataset(featureNames: ["x"], features: [1, 2, 3], targets: [1, 1, 1], task: .regression)
        let r = try Evaluator(loss: .mse).evaluate(Self.identity(1), on: data)
        #expect(abs(r.mse! - 5.0 / 3) < 1e-12 && r.mae == 1)
        #expect(r.accuracy == nil && r.auc == nil)
        #expect(Set(r.scalars.map(\.name)) == ["loss", "mse", "mae"])
    }

    @Test func emptyDataIsAnError() {
        let data = TabularDataset(featureNames: ["x"], features: [], targets: [], task: .regression)
        #expect(throws: TrainingError.self) { try Evaluator(loss: .mse).evaluate(Self.identity(1), on: data) }
    }
}

@Suite("pos_weight in training")
struct PositiveWeightRunTests {
    @Test("a weight of 5 on positive rows raises the predicted probabilities (and recall) of the trained model")
    func weightShiftsPredictions() throws {
        var meanProbability: [Double] = [], recall: [Double] = []
        for weight in [nil, 5.0] {
            let dir = try TT.temporaryDirectory("posweight")
            defer { TT.remove(dir) }
            let (config, _, out) = try PatientsCSV.train(in: dir, steps: 60) { $0.positiveWeight = weight }
            let folder = try RunFolder.load(out)
            let model = try SavedWeights.load(out + "/model.safetensors", config: config)
            let train = try folder.preprocessing.encodeFile(dir + "/patients.csv")
            let logits = try model(train.batch(indices: Array(0..<train.count)).inputs)
            meanProbability.append((0..<train.count).reduce(0.0) { $0 + 1 / (1 + exp(-Double(logits.floats[$1]))) } / Double(train.count))
            recall.append(try Evaluator(loss: .bceWithLogits).evaluate(model, on: train).recall ?? 0)
        }
        #expect(meanProbability[1] > meanProbability[0] + 0.05, "\(meanProbability)")
        #expect(recall[1] > recall[0], "\(recall)")
    }
}
