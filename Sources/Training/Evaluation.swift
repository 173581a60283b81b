import TensorCore
import Autograd
import NN
import Datasets
import Config

/// Validation metrics of a model on a data set.
public struct EvaluationResult: Sendable, Equatable {
    public var loss: Double
    /// Fraction classified correctly (classification tasks only).
    public var accuracy: Double?
    /// Area under the ROC curve (binary tasks only).
    public var auc: Double?
    public var samples: Int

    /// Why `auc` is NaN when it is: a ranking needs both classes.
    public static let aucUndefinedReason = "the validation labels are all one class"

    public init(loss: Double, accuracy: Double?, auc: Double?, samples: Int) {
        self.loss = loss
        self.accuracy = accuracy
        self.auc = auc
        self.samples = samples
    }
}

/// `{"loss": …, "accuracy": …, "auc": …, "samples": …}` (metrics.jsonl's `validation`, `eval --json`);
/// a metric that does not apply is left out, one that is not finite is `null` with a reason.
extension EvaluationResult: Encodable {
    public func encode(to encoder: Encoder) throws {
        var out = encoder.container(keyedBy: JSONKey.self)
        try out.encodeMetric(loss, forKey: "loss")
        try out.encodeMetric(accuracy, forKey: "accuracy")
        try out.encodeMetric(auc, forKey: "auc", undefined: Self.aucUndefinedReason)
        try out.encode(samples, forKey: "samples")
    }
}

/// Runs a model over a data set in eval mode and inference mode, in fixed-size chunks.
///
/// ```swift
/// let result = try Evaluator(loss: .bceWithLogits).evaluate(model, on: validation)
/// print(result.auc!)
/// ```
public struct Evaluator {
    public let loss: RunConfig.Loss
    public let chunk: Int

    public init(loss: RunConfig.Loss, chunk: Int = 1024) {
        self.loss = loss
        self.chunk = chunk
    }

    public func evaluate(_ model: Module, on data: TabularDataset) throws -> EvaluationResult {
        let wasTraining = model.isTraining
        model.eval()
        defer { model.train(wasTraining) }
        var lossSum = 0.0, correct = 0
        var scores: [Float] = []
        scores.reserveCapacity(data.count)
        try inferenceMode {
            var start = 0
            while start < data.count {
                let indices = Array(start..<min(start + chunk, data.count))
                let (x, y) = data.batch(indices: indices)
                let output = try model(x)   // (n, outputs)
                lossSum += try lossValue(output, y, reduction: .sum).item
                switch data.task {
                case .binaryClassification:
                    for i in 0..<indices.count {
                        let logit = output.floats[i]
                        scores.append(logit)
                        if (logit > 0) == (y.floats[i] > 0.5) { correct += 1 }
                    }
                case .multiclass:
                    let k = output.shape[1]
                    for i in 0..<indices.count {
                        let row = output.floats + i * k
                        var best = 0
                        for j in 1..<k where row[j] > row[best] { best = j }
                        if Float(best) == y.floats[i] { correct += 1 }
                    }
                case .regression:
                    break
                }
                start += chunk
            }
        }
        let n = Double(data.count)
        switch data.task {
        case .binaryClassification:
            return EvaluationResult(loss: lossSum / n, accuracy: Double(correct) / n,
                                    auc: auc(scores: scores, labels: data.targets), samples: data.count)
        case .multiclass:
            return EvaluationResult(loss: lossSum / n, accuracy: Double(correct) / n, auc: nil, samples: data.count)
        case .regression:
            return EvaluationResult(loss: lossSum / n, accuracy: nil, auc: nil, samples: data.count)
        }
    }

    /// The configured loss of `output` against `targets`.
    public func lossValue(_ output: Tensor, _ targets: Tensor, reduction: Reduction) throws -> Tensor {
        switch loss {
        case .bceWithLogits: try Loss.binaryCrossEntropyWithLogits(output, targets, reduction: reduction)
        case .crossEntropy: try Loss.crossEntropy(output, targets, reduction: reduction)
        case .mse: try Loss.meanSquaredError(output, targets, reduction: reduction)
        }
    }
}
