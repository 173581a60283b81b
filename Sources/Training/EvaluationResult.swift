import Foundation
import Datasets

/// Metrics of a model on a labelled data set. Which are present depends on the task: binary →
/// accuracy, AUC, precision, recall, F1 (threshold: logit > 0); multiclass → accuracy, per-class
/// accuracy (recall of each class) and the confusion matrix; regression → MSE and MAE. A metric that
/// cannot be computed (AUC with one class present, precision with no positive predictions) is nil and
/// `undefined[name]` says why; JSON never holds NaN or infinity.
public struct EvaluationResult: Sendable, Equatable {
    public var loss: Double
    /// Fraction classified correctly (classification tasks only).
    public var accuracy: Double?
    /// Area under the ROC curve (binary tasks only).
    public var auc: Double?
    public var samples: Int
    public var precision: Double?
    public var recall: Double?
    public var f1: Double?
    /// Per class: the fraction of its rows classified as it (nil for a class with no rows).
    public var perClassAccuracy: [Double?]?
    /// `confusion[true][predicted]` row counts (multiclass only).
    public var confusion: [[Int]]?
    public var mse: Double?
    public var mae: Double?
    /// The model's output over the rows, max − min (binary: the logit; regression): 0 when every row
    /// got the same prediction. Not written to JSON; what `RunCollapse` judges by.
    public var outputRange: Double?
    /// The share of the rows in the most frequent class (classification): the accuracy of a
    /// constant prediction.
    public var majorityShare: Double?
    /// Why a metric of the task is missing, by metric name.
    public var undefined: [String: String] = [:]

    public init(loss: Double, accuracy: Double? = nil, auc: Double? = nil, samples: Int) {
        self.loss = loss
        self.accuracy = accuracy
        self.auc = auc
        self.samples = samples
    }

    /// The scalar metrics by name (`loss`, `accuracy`, `auc`, `precision`, `recall`, `f1`, `mse`, `mae`):
    /// what early stopping and TensorBoard read. Non-finite values are left out.
    public var scalars: [(name: String, value: Double)] {
        namedMetrics.compactMap { name, value in value.flatMap { $0.isFinite ? (name, $0) : nil } }
    }

    /// Every scalar metric under its JSON name, nil where the task has none.
    var namedMetrics: [(name: String, value: Double?)] {
        [("loss", loss)] + Self.optionalMetrics.map { ($0.name, self[keyPath: $0.path]) }
    }

    /// The metrics a task may lack, by JSON name.
    private static var optionalMetrics: [(name: String, path: WritableKeyPath<EvaluationResult, Double?>)] {
        [("accuracy", \.accuracy), ("auc", \.auc), ("precision", \.precision), ("recall", \.recall),
         ("f1", \.f1), ("mse", \.mse), ("mae", \.mae)]
    }

    public func metric(named name: String) -> Double? {
        scalars.first { $0.name == name }?.value
    }

}

extension EvaluationResult {
    /// Binary metrics from logits and 0/1 labels.
    mutating func addBinaryMetrics(_ counts: BinaryCounts) {
        var counts = counts
        let (tp, fp, fn) = (counts.truePositives, counts.falsePositives, counts.falseNegatives)
        let a = counts.ranking.value()
        if a.isFinite { auc = a } else {
            auc = nil
            undefined["auc"] = counts.ranking.sawNaN ? "the model output NaN scores" : "the data holds only one class"
        }
        if tp + fp > 0 { precision = Double(tp) / Double(tp + fp) } else { undefined["precision"] = "no row was predicted positive" }
        if tp + fn > 0 { recall = Double(tp) / Double(tp + fn) } else { undefined["recall"] = "the data holds no positive row" }
        if let p = precision, let r = recall, p + r > 0 { f1 = 2 * p * r / (p + r) }
        else { undefined["f1"] = precision == nil || recall == nil ? "precision or recall is undefined" : "precision and recall are 0" }
    }
}

/// What a binary evaluation keeps while it streams: the confusion counts at logit 0 and the AUC's keys.
struct BinaryCounts {
    var truePositives = 0, falsePositives = 0, falseNegatives = 0
    var ranking = AUCAccumulator()

    var positives: Int { truePositives + falseNegatives }

    mutating func add(score: Float, label: Float) {
        let predicted = score > 0, actual = label > 0.5
        if predicted && actual { truePositives += 1 } else if predicted { falsePositives += 1 } else if actual { falseNegatives += 1 }
        ranking.add(score: score, label: label)
    }
}

/// `{"samples", "loss", …metrics, "per_class_accuracy"?, "confusion_matrix"?}` (metrics.jsonl's
/// `validation`, `eval --json`): each metric a `Metric`, so one that is undefined or not finite is
/// `null` with its reason beside it as `<metric>_undefined`, and one the task lacks is left out.
/// Read back, an undefined metric is NaN (`loss`) or nil, with its reason in `undefined`.
extension EvaluationResult: Codable {
    public func encode(to encoder: Encoder) throws {
        var out = encoder.container(keyedBy: JSONKey.self)
        try out.encode(samples, forKey: "samples")
        for (name, value) in namedMetrics {
            try out.encodeIfPresent(Metric(value, undefined: undefined[name]), forKey: JSONKey(name))
        }
        try out.encodeIfPresent(perClassAccuracy, forKey: "per_class_accuracy")
        try out.encodeIfPresent(confusion, forKey: "confusion_matrix")
    }

    public init(from decoder: Decoder) throws {
        let values = try decoder.container(keyedBy: JSONKey.self)
        let loss = try values.decode(Metric.self, forKey: "loss")
        self.init(loss: loss.number, samples: try values.decode(Int.self, forKey: "samples"))
        undefined["loss"] = loss.undefinedReason
        for (name, path) in Self.optionalMetrics {
            guard let metric = try values.decodeIfPresent(Metric.self, forKey: JSONKey(name)) else { continue }
            self[keyPath: path] = metric.value
            undefined[name] = metric.undefinedReason
        }
        perClassAccuracy = try values.decodeIfPresent([Double?].self, forKey: "per_class_accuracy")
        confusion = try values.decodeIfPresent([[Int]].self, forKey: "confusion_matrix")
    }
}
