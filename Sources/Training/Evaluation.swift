import TensorCore
import Autograd
import NN
import Datasets
import Config

/// Runs a model over a data set in eval mode and inference mode, in fixed-size chunks, and computes
/// the task's metrics (see `EvaluationResult`).
///
/// ```swift
/// let result = try Evaluator(loss: .bceWithLogits).evaluate(model, on: validation)
/// print(result.auc!, result.f1!)
/// ```
public struct Evaluator {
    public let loss: RunConfig.Loss
    public let chunk: Int
    /// BCE's weight on positive rows (PyTorch's `pos_weight`); nil is 1.
    public let positiveWeight: Double?

    public init(loss: RunConfig.Loss, chunk: Int = 1024, positiveWeight: Double? = nil) {
        self.loss = loss
        self.chunk = chunk
        self.positiveWeight = positiveWeight
    }

    /// Scores an evaluation holds before it spills a sorted run to a scratch file (2 MB): the exact
    /// AUC of 4 M validation rows then costs 2 MB of memory and 16 runs' merge buffers, not 32 MB
    /// and its sort's scratch.
    public static let aucRunLimit = 1 << 18

    /// Reads `data` in chunks of `chunk` rows, so that a packed validation set is never held whole;
    /// a binary task keeps 8 bytes a row for the exact AUC (`AUCAccumulator`), at most
    /// `aucRunLimit` of them in memory.
    public func evaluate(_ model: Module, on data: some LabeledRows) throws -> EvaluationResult {
        guard data.count > 0 else { throw TrainingError("cannot evaluate on an empty data set") }
        let wasTraining = model.isTraining
        model.eval()
        defer { model.train(wasTraining) }
        var lossSum = 0.0, correct = 0, squared = 0.0, absolute = 0.0
        var binary = BinaryCounts()
        var lowest = Float.infinity, highest = -Float.infinity   // the output's range (binary, regression)
        if case .binaryClassification = data.task { binary.ranking = AUCAccumulator(capacity: data.count, runLimit: Self.aucRunLimit) }
        var confusion: [[Int]] = []
        if case .multiclass(let k) = data.task { confusion = Array(repeating: Array(repeating: 0, count: k), count: k) }
        try inferenceMode {
            var start = 0
            while start < data.count {
                let indices = Array(start..<min(start + chunk, data.count))[...]
                let (x, y) = try data.batch(indices: indices)
                let output = try model(x)   // (n, outputs)
                lossSum += try lossValue(output, y, reduction: .sum).item
                switch data.task {
                case .binaryClassification:
                    for i in 0..<indices.count {
                        let logit = output.floats[i]
                        (lowest, highest) = (min(lowest, logit), max(highest, logit))
                        binary.add(score: logit, label: y.floats[i])
                        if (logit > 0) == (y.floats[i] > 0.5) { correct += 1 }
                    }
                case .multiclass:
                    let k = output.shape[1]
                    for i in 0..<indices.count {
                        let row = output.floats + i * k
                        var best = 0
                        for j in 1..<k where row[j] > row[best] { best = j }
                        let actual = Int(y.floats[i])
                        if best == actual { correct += 1 }
                        if actual < confusion.count && best < confusion.count { confusion[actual][best] += 1 }
                    }
                case .regression:
                    for i in 0..<indices.count {
                        (lowest, highest) = (min(lowest, output.floats[i]), max(highest, output.floats[i]))
                        let d = Double(output.floats[i]) - Double(y.floats[i])
                        squared += d * d
                        absolute += abs(d)
                    }
                }
                start += chunk
            }
        }
        let n = Double(data.count)
        var result = EvaluationResult(loss: lossSum / n, samples: data.count)
        switch data.task {
        case .binaryClassification:
            result.accuracy = Double(correct) / n
            result.addBinaryMetrics(binary)
            result.outputRange = Double(highest - lowest)
            result.majorityShare = Double(max(binary.positives, data.count - binary.positives)) / n
        case .multiclass:
            result.accuracy = Double(correct) / n
            result.confusion = confusion
            result.perClassAccuracy = confusion.enumerated().map { c, row in
                let total = row.reduce(0, +)
                return total > 0 ? Double(row[c]) / Double(total) : nil
            }
            result.majorityShare = Double(confusion.map { $0.reduce(0, +) }.max() ?? 0) / n
        case .regression:
            result.mse = squared / n
            result.mae = absolute / n
            result.outputRange = Double(highest - lowest)
        }
        return result
    }

    /// The configured loss of `output` against `targets`.
    public func lossValue(_ output: Tensor, _ targets: Tensor, reduction: Reduction) throws -> Tensor {
        switch loss {
        case .bceWithLogits:
            if let positiveWeight {
                try Loss.binaryCrossEntropyWithLogits(output, targets, positiveWeight: positiveWeight, reduction: reduction)
            } else {
                try Loss.binaryCrossEntropyWithLogits(output, targets, reduction: reduction)
            }
        case .crossEntropy: try Loss.crossEntropy(output, targets, reduction: reduction)
        case .mse: try Loss.meanSquaredError(output, targets, reduction: reduction)
        }
    }
}
