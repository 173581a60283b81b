import TensorCore
import Autograd

/// Batch normalisation over the features of (N, C) inputs, as PyTorch's `nn.BatchNorm1d`:
/// eps 1e-5, momentum 0.1, affine γ (ones) and β (zeros), running mean (zeros) and running variance
/// (ones, updated with the unbiased batch variance), `num_batches_tracked` (int64).
/// Train mode normalises with the batch's statistics; eval mode with the running ones.
///
/// Running statistics update at once after each train-mode forward (PyTorch's behaviour) unless
/// `defersRunningStatistics` is set: then each forward's batch statistics are kept in
/// `pendingStatistics` and the trainer applies one update per optimizer step from the statistics of
/// all micro-batches combined (ghost batch norm; determinism contract, rule 5).
///
/// Inside a `Checkpointed` block the forward runs twice (once without grad, once in backward to rebuild
/// the graph); only the first records statistics, so each micro-batch still contributes exactly one.
///
/// ```swift
/// let bn = BatchNorm1d(64)
/// let y = try bn(x)   // (N, 64), normalised per feature
/// ```
public final class BatchNorm1d: Module {
    public let features: Int
    public let epsilon: Double
    public let momentum: Double
    public let weight: Tensor?          // γ (C)
    public let bias: Tensor?            // β (C)
    public let runningMean: Tensor      // (C)
    public let runningVariance: Tensor  // (C)
    public let numBatchesTracked: Tensor  // int64 scalar
    public var defersRunningStatistics = false
    /// Batch statistics of the train-mode forwards since the last update (deferred mode only).
    public private(set) var pendingStatistics: [BatchStatistics] = []

    public init(_ features: Int, epsilon: Double = 1e-5, momentum: Double = 0.1, affine: Bool = true, dtype: DType = .float32) {
        self.features = features
        self.epsilon = epsilon
        self.momentum = momentum
        weight = affine ? Tensor.ones([features], dtype: dtype) : nil
        bias = affine ? Tensor.zeros([features], dtype: dtype) : nil
        runningMean = Tensor.zeros([features], dtype: dtype)
        runningVariance = Tensor.ones([features], dtype: dtype)
        numBatchesTracked = Tensor.zeros([], dtype: .int64)
        super.init()
        if let weight { register(parameter: weight, as: "weight") }
        if let bias { register(parameter: bias, as: "bias") }
        register(buffer: runningMean, as: "running_mean")
        register(buffer: runningVariance, as: "running_var")
        register(buffer: numBatchesTracked, as: "num_batches_tracked")
    }

    public override func forward(_ input: Tensor) throws -> Tensor {
        guard input.rank == 2, input.shape[1] == features else {
            throw AutogradError.shapeMismatch(op: "BatchNorm1d(\(features))", lhs: input.shape, rhs: [features])
        }
        let (output, statistics) = try Tensor.batchNorm(
            input, weight: weight, bias: bias, epsilon: epsilon,
            running: isTraining ? nil : (runningMean, runningVariance))
        // A checkpointed block's recompute (in backward) repeats a forward whose statistics were
        // already recorded: it must neither record them again nor move the running statistics.
        if let statistics, !Checkpointed.isRecomputing {
            if defersRunningStatistics {
                pendingStatistics.append(statistics)
            } else {
                let unbiased = Double(statistics.count) / Double(statistics.count - 1)
                updateRunningStatistics(mean: statistics.mean, unbiasedVariance: statistics.variance, varianceScale: unbiased)
            }
        }
        return output
    }

    /// One momentum update: `running ← (1 − momentum)·running + momentum·batch`, with the batch
    /// variance multiplied by `varianceScale` (N/(N−1) to make it unbiased); counts one batch.
    public func updateRunningStatistics(mean: Tensor, unbiasedVariance variance: Tensor, varianceScale: Double = 1) {
        // In Double, rounded once to the element type, as PyTorch's Python-scalar arithmetic on a
        // tensor does. Raw pointers are taken once, outside the loop, so that no element access
        // pays for a dtype check or an exclusivity check.
        func run<T: TensorScalar>(_: T.Type) {
            let runningM = runningMean.pointer(as: T.self), runningV = runningVariance.pointer(as: T.self)
            let m = mean.pointer(as: T.self), v = variance.pointer(as: T.self)
            for j in 0..<features {
                runningM[j] = T((1 - momentum) * Double(runningM[j]) + momentum * Double(m[j]))
                runningV[j] = T((1 - momentum) * Double(runningV[j]) + momentum * Double(v[j]) * varianceScale)
            }
        }
        switch runningMean.dtype {
        case _ where mean.dtype != runningMean.dtype || variance.dtype != runningMean.dtype:
            // Statistics of another dtype: the same arithmetic through element-wise conversion.
            for j in 0..<features {
                let m = runningMean.element(j), v = runningVariance.element(j)
                runningMean.setElement(j, (1 - momentum) * m + momentum * mean.element(j))
                runningVariance.setElement(j, (1 - momentum) * v + momentum * variance.element(j) * varianceScale)
            }
        case .float32: run(Float.self)
        case .float64: run(Double.self)
        case .int64: preconditionFailure("int64 running statistics are refused when the layer is built")
        }
        // In Int64, not through Double: a count near Int64.max must neither round nor trap.
        let count = numBatchesTracked.rawPointer.assumingMemoryBound(to: Int64.self)
        if count.pointee < Int64.max { count.pointee += 1 }
    }

    /// The largest `num_batches_tracked` a loaded state may hold: 2^53, far beyond any run (one batch
    /// per nanosecond for a hundred days) and the largest count a Double holds exactly.
    public static let maximumLoadableBatchCount: Int64 = 1 << 53

    /// Throws unless `count` (the `num_batches_tracked` about to be loaded under `name` from `source`)
    /// is an int64 scalar in 0...2^53: a negative or absurd count means a corrupt or edited file.
    ///
    /// ```swift
    /// try bn.checkLoadable(numBatchesTracked: state["bn1.num_batches_tracked"]!, name: "bn1.num_batches_tracked", source: path)
    /// ```
    public func checkLoadable(numBatchesTracked count: Tensor, name: String, source: String) throws {
        guard count.dtype == .int64, count.count == 1 else { return }   // shape and dtype are checked by loadStateDict
        let value = count.rawPointer.assumingMemoryBound(to: Int64.self).pointee
        guard value >= 0, value <= Self.maximumLoadableBatchCount else {
            throw ModuleError("\(source): tensor '\(name)' holds \(value) batches, expected a count in 0...\(Self.maximumLoadableBatchCount)")
        }
    }

    /// Hands over and clears the statistics gathered in deferred mode.
    public func takePendingStatistics() -> [BatchStatistics] {
        defer { pendingStatistics.removeAll(keepingCapacity: true) }
        return pendingStatistics
    }

    public override var summary: String { "BatchNorm1d(\(features))" }
}
