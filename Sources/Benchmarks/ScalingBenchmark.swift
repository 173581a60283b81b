import Foundation
import TensorCore
import Distributed
import Config
import Training

/// Weak scaling: the same per-rank batch on every rank, so that W ranks process W times the samples
/// per step. Efficiency = T₁ / T_W, the step time on one rank over the step time on W ranks.
///
/// ```swift
/// let ms = try ScalingBenchmark(config: wide, perRankBatch: 256).stepMilliseconds(communicator: comm)
/// ```
public struct ScalingBenchmark: Sendable {
    public let config: RunConfig
    public let perRankBatch: Int

    public init(config: RunConfig, perRankBatch: Int) {
        self.config = config
        self.perRankBatch = perRankBatch
    }

    /// Median milliseconds per training step on `communicator`'s world (same on every rank).
    public func stepMilliseconds(communicator: Communicator, steps: Int = 12) throws -> Double {
        BLASThreads.set(1)
        let c = config.sizedForBenchmark(micro: perRankBatch, worldSize: communicator.worldSize)
        let trainer = try Trainer(config: c, data: PreparedData(config: c), communicator: communicator)
        for _ in 0..<2 { try trainer.step() }
        var samples: [Double] = []
        for _ in 0..<steps {
            try communicator.barrier()
            samples.append(try trainer.step().seconds * 1e3)
        }
        // Every rank reports rank 0's median so that all print the same number.
        var median = [Float(samples.sorted()[samples.count / 2])]
        try median.withUnsafeMutableBytes { try communicator.broadcast($0, root: 0) }
        return Double(median[0])
    }
}
