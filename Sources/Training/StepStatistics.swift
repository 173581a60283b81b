#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import TensorCore
import NN

/// The small vector each step reduces beside the gradients, through the same fragments and the same
/// tree (`GradientSynchronizer`'s reducer), so that what it carries does not depend on how the global
/// batch was split over ranks and accumulation steps. Its slots, in order:
///
///     loss sum (1) | per batch norm: mean (C), variance (C), mean² (C) | overlap trial (2) | stop votes (2)
///
/// The overlap trial's slots are there only with `distributed.overlap: auto` (`OverlapTrial`). Each
/// micro-batch writes its values (`record`); after the reduction the vector holds sums over the
/// step's n micro-batches, from which the loss, the batch norms' running statistics and the agreed
/// stop signal are read.
///
/// ```swift
/// let statistics = StepStatistics(batchNorms: [bn1, bn2], overlapTrial: false)
/// statistics.record(lossSum: 12.5, stop: nil)        // after a micro-batch's backward
/// ```
final class StepStatistics {
    /// (S): the slots above.
    let values: Tensor
    let batchNorms: [BatchNorm1d]
    /// Where `OverlapTrial` writes its two sums; nil without a trial.
    let overlapTrialSlots: Int?
    /// Rank votes: ranks with SIGINT, ranks with another signal (SIGTERM). Carrying them here costs
    /// no collective of its own (an allreduce of two floats after every step cost `mpirun -np 2`
    /// 3–4 µs of a 125 µs step on the reference model).
    var stopSlots: Range<Int> { values.count - 2 ..< values.count }

    init(batchNorms: [BatchNorm1d], overlapTrial: Bool) {
        self.batchNorms = batchNorms
        let afterNorms = 1 + batchNorms.reduce(0) { $0 + 3 * $1.features }
        overlapTrialSlots = overlapTrial ? afterNorms : nil
        values = Tensor.zeros([afterNorms + (overlapTrial ? OverlapTrial.slots : 0) + 2])
    }

    var floats: UnsafeMutablePointer<Float> { values.floats }
    var count: Int { values.count }

    /// Writes one micro-batch's loss sum, its batch-norm statistics (each batch norm must have run
    /// once) and this rank's stop vote (`nil` on every micro-batch but a rank's last, or no signal).
    func record(lossSum: Double, stop signal: Int32?) {
        let s = values.floats
        s[0] = Float(lossSum)
        var offset = 1
        for bn in batchNorms {
            let taken = bn.takePendingStatistics()
            precondition(taken.count == 1, "a batch norm ran \(taken.count) times in one micro-batch")
            let c = bn.features, statistics = taken[0]
            // The tensors must outlive the raw pointers read from them.
            withExtendedLifetime(statistics) {
                let mean = statistics.mean.floats, variance = statistics.variance.floats
                for j in 0..<c {
                    s[offset + j] = mean[j]
                    s[offset + c + j] = variance[j]
                    s[offset + 2 * c + j] = mean[j] * mean[j]
                }
            }
            offset += 3 * c
        }
        s[stopSlots.lowerBound] = signal == SIGINT ? 1 : 0
        s[stopSlots.lowerBound + 1] = signal != nil && signal != SIGINT ? 1 : 0
    }

    /// The mean per-sample loss over a global batch of `globalBatch` samples (after the reduction).
    func loss(globalBatch: Int) -> Double { Double(values.floats[0]) / Double(globalBatch) }

    /// The signal the ranks agreed on (after the reduction): SIGTERM (or any signal but SIGINT) if any
    /// rank had one, else SIGINT if any had that, so a scheduler's termination is never taken for a
    /// user's interrupt.
    var agreedStop: Int32? {
        let s = values.floats
        return s[stopSlots.lowerBound + 1] > 0 ? SIGTERM : s[stopSlots.lowerBound] > 0 ? SIGINT : nil
    }

    /// One running-statistics update per batch norm from the statistics of all n micro-batches of B
    /// samples (after the reduction): mean = T(mᵢ)/n, variance = T(vᵢ)/n + (T(mᵢ²)/n − mean²) (within-
    /// plus between-micro-batch variance), made unbiased over the B samples.
    func applyRunningStatistics(microBatches: Int, globalBatch: Int) {
        let n = Float(microBatches)
        let s = values.floats
        var offset = 1
        let unbiased = Double(globalBatch) / Double(globalBatch - 1)
        for bn in batchNorms {
            let c = bn.features
            let mean = Tensor(uninitializedShape: [c]), variance = Tensor(uninitializedShape: [c])
            let meanValues = mean.floats, varianceValues = variance.floats   // once, not per element
            for j in 0..<c {
                let m = s[offset + j] / n
                meanValues[j] = m
                varianceValues[j] = s[offset + c + j] / n + (s[offset + 2 * c + j] / n - m * m)
            }
            bn.updateRunningStatistics(mean: mean, unbiasedVariance: variance, varianceScale: unbiased)
            offset += 3 * c
        }
    }
}
