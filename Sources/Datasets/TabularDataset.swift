import TensorCore

/// A table of float32 features with one target per row: what every Lockstep model trains on.
///
/// Features are row-major, `count × featureCount`; targets are 0/1 for binary classification, the class
/// index for multiclass, the value itself for regression.
///
/// ```swift
/// let data = TabularDataset(featureNames: ["x", "y"], features: [1, 2, 3, 4, 5, 6],
///                           targets: [0, 1, 1], task: .binaryClassification)
/// let (inputs, targets) = data.batch(indices: [2, 0])   // inputs (2, 2): [5, 6, 1, 2]; targets (2, 1): [1, 0]
/// ```
public struct TabularDataset: Sendable, Equatable {
    /// What the targets mean, which decides the loss and the target tensor's shape.
    public enum Task: Sendable, Hashable, Codable, CustomStringConvertible {
        /// Targets 0 or 1; one logit per row.
        case binaryClassification
        /// Targets are class indices `0..<classes`; one logit per class.
        case multiclass(classes: Int)
        /// Targets are real values.
        case regression

        public var description: String {
            switch self {
            case .binaryClassification: "binary classification"
            case .multiclass(let classes): "multiclass (\(classes) classes)"
            case .regression: "regression"
            }
        }
    }

    public let featureNames: [String]
    /// Row-major, `count × featureCount`.
    public let features: [Float]
    public let targets: [Float]
    public let task: Task

    /// The number of rows.
    public var count: Int { targets.count }
    public var featureCount: Int { featureNames.count }

    public init(featureNames: [String], features: [Float], targets: [Float], task: Task) {
        precondition(features.count == targets.count * featureNames.count,
                     "\(features.count) feature values do not fill \(targets.count) rows × \(featureNames.count) features")
        if case .multiclass(let classes) = task { precondition(classes > 0, "multiclass needs at least one class") }
        self.featureNames = featureNames
        self.features = features
        self.targets = targets
        self.task = task
    }

    /// The features of row `index`.
    public func row(_ index: Int) -> ArraySlice<Float> {
        precondition(index >= 0 && index < count, "row \(index) out of range for \(count) rows")
        return features[index * featureCount ..< (index + 1) * featureCount]
    }

    /// The same rows and task with other feature values (same shape), e.g. standardised ones.
    public func replacingFeatures(_ newFeatures: [Float]) -> TabularDataset {
        TabularDataset(featureNames: featureNames, features: newFeatures, targets: targets, task: task)
    }

    /// The rows at `indices`, in that order, as a new data set (a train or validation split).
    public func subset(_ indices: [Int]) -> TabularDataset {
        var gathered = [Float]()
        gathered.reserveCapacity(indices.count * featureCount)
        for index in indices { gathered.append(contentsOf: row(index)) }
        return TabularDataset(featureNames: featureNames, features: gathered,
                              targets: indices.map { targets[$0] }, task: task)
    }

    /// The rows at `indices` as a training batch: inputs `(m, F)` float32, and targets `(m, 1)` for binary
    /// classification and regression (the shape of the model's output) or `(m)` class indices stored as
    /// float32 for multiclass (the shape cross-entropy takes).
    public func batch(indices: [Int]) -> (inputs: Tensor, targets: Tensor) {
        indices.withUnsafeBufferPointer { gather($0) }
    }

    /// The same for a slice, which is what `BatchPlan.microBatchIndices` returns.
    public func batch(indices: ArraySlice<Int>) -> (inputs: Tensor, targets: Tensor) {
        indices.withUnsafeBufferPointer { gather($0) }
    }

    // One row copy per sample straight into the tensor's storage: no per-element work beyond the copy
    // and no temporary arrays, since this runs for every micro-batch of every step.
    private func gather(_ indices: UnsafeBufferPointer<Int>) -> (inputs: Tensor, targets: Tensor) {
        let m = indices.count, width = featureCount
        let inputs = Tensor(uninitializedShape: [m, width])
        let targetShape: [Int]
        if case .multiclass = task { targetShape = [m] } else { targetShape = [m, 1] }
        let batchTargets = Tensor(uninitializedShape: targetShape)
        let dst = inputs.floats, dstTargets = batchTargets.floats
        features.withUnsafeBufferPointer { src in
            for (k, index) in indices.enumerated() {
                precondition(index >= 0 && index < count, "sample index \(index) out of range for \(count) rows")
                if width > 0 { (dst + k * width).update(from: src.baseAddress! + index * width, count: width) }
                dstTargets[k] = targets[index]
            }
        }
        return (inputs, batchTargets)
    }
}
