import Foundation
import TensorCore
import NN
import Distributed
import Config
import Training

/// One world size of a scaling run: the step time and where it went, measured by the trainer's
/// `StepTimeline` on rank 0 (its reduction spans include waiting for the slowest rank).
///
/// ```swift
/// let step = try ScalingBenchmark(config: wide, perRankBatch: 256).measure(communicator: comm)
/// print(step.stepMilliseconds, step.computeMilliseconds)
/// ```
public struct ScalingBenchmark: Sendable {
    public let config: RunConfig
    public let perRankBatch: Int
    public var warmUpSteps = 2
    public var timedSteps = 12
    /// Which timed step is reported: the median, or the fastest (on a shared machine, the step least
    /// disturbed by other processes).
    public var statistic: StepStatistic = .median

    public init(config: RunConfig, perRankBatch: Int) {
        self.config = config
        self.perRankBatch = perRankBatch
    }

    /// Median milliseconds per training step on `communicator`'s world (same on every rank).
    public func stepMilliseconds(communicator: Communicator) throws -> Double {
        try measure(communicator: communicator).stepMilliseconds
    }

    /// Trains `warmUpSteps + timedSteps` steps (a barrier on `control` before each) and returns the
    /// breakdown of the median (or fastest) step, the same on every rank (rank 0's, broadcast).
    public func measure(communicator: Communicator, control: Communicator? = nil) throws -> StepBreakdown {
        let control = control ?? communicator
        BLASThreads.set(1)
        let c = config.sizedForBenchmark(micro: perRankBatch, worldSize: communicator.worldSize)
        let trainer = try Trainer(config: c, data: PreparedData(config: c), communicator: communicator)
        let timeline = StepTimeline()
        trainer.timeline = timeline
        for _ in 0..<warmUpSteps { try trainer.step() }
        timeline.removeAll()
        for _ in 0..<timedSteps {
            try control.barrier()
            try trainer.step()
        }
        let steps = Dictionary(grouping: timeline.spans, by: \.step).values.map { StepBreakdown(spans: $0) }
        let sorted = steps.sorted { $0.stepMilliseconds < $1.stepMilliseconds }
        let chosen = statistic == .median ? sorted[sorted.count / 2] : sorted[0]
        // Every rank reports rank 0's figures, so that all print the same.
        var figures = chosen.figures.map(Float.init)
        try figures.withUnsafeMutableBytes { try control.broadcast($0, root: 0) }
        var result = StepBreakdown(figures: figures.map(Double.init),
                                   gradientBytes: trainer.flat.gradients.count * 4, statisticsBytes: trainer.statisticsBytes)
        result.bucketBytes = Self.bucketBytes(trainer, config: c)
        return result
    }
}

extension ScalingBenchmark {
    /// Bytes of each gradient bucket in the order backward finishes them, under the config's bucket
    /// sizes whether or not this run overlapped (the projection's overlap model).
    static func bucketBytes(_ trainer: Trainer, config: RunConfig) -> [Int] {
        Trainer.gradientBuckets(trainer.flat, config.distributed).ranges.map { $0.count * MemoryLayout<Float>.stride }
    }
}

/// Which of a point's timed steps stands for it.
public enum StepStatistic: String, Sendable, Codable, CaseIterable {
    case median, fastest
}

/// Where one step's time went, in milliseconds, from timestamps at the phase boundaries.
/// `compute` is forward + backward; `communicationExposed` the reductions the step waited for;
/// `communicationHidden` bucket reductions that ran on the communication thread while the step computed
/// (overlap; 0 without it);
/// `other` batch gathering, bookkeeping and statistics.
public struct StepBreakdown: Sendable, Codable, Equatable {
    public let stepMilliseconds: Double
    public let forwardMilliseconds: Double
    public let backwardMilliseconds: Double
    public let communicationExposedMilliseconds: Double
    public let communicationHiddenMilliseconds: Double
    public let optimizerMilliseconds: Double
    public let otherMilliseconds: Double
    /// Bytes of the gradient allreduce and of the statistics allreduce of each step.
    public var gradientBytes = 0
    public var statisticsBytes = 0
    /// Bytes of each gradient bucket, in the order backward finishes them (`ScalingProjection`'s
    /// overlap model; nil in files written before it was recorded: one bucket).
    public var bucketBytes: [Int]?

    public var computeMilliseconds: Double { forwardMilliseconds + backwardMilliseconds }

    init(spans: [TimelineSpan]) {
        func ms(_ phase: StepPhase) -> Double { spans.filter { $0.phase == phase }.reduce(0) { $0 + $1.seconds } * 1e3 }
        stepMilliseconds = ms(.step)
        forwardMilliseconds = ms(.forward)
        backwardMilliseconds = ms(.backward)
        communicationExposedMilliseconds = ms(.reduction)
        // A bucket reduced on the communication thread is hidden except while the step waited for it.
        let waits = spans.filter { $0.phase == .reduction }
        communicationHiddenMilliseconds = spans.filter { $0.phase == .bucketReduction }.reduce(0.0) { total, bucket in
            let exposed = waits.reduce(0.0) { $0 + Double(max(0, Int64(min(bucket.end, $1.end)) - Int64(max(bucket.start, $1.start)))) }
            return total + (Double(bucket.end - bucket.start) - exposed) / 1e6
        }
        optimizerMilliseconds = ms(.optimizer)
        otherMilliseconds = ms(.other)
    }

    var figures: [Double] {
        [stepMilliseconds, forwardMilliseconds, backwardMilliseconds, communicationExposedMilliseconds,
         communicationHiddenMilliseconds, optimizerMilliseconds, otherMilliseconds]
    }

    init(figures x: [Double], gradientBytes: Int, statisticsBytes: Int) {
        (stepMilliseconds, forwardMilliseconds, backwardMilliseconds, communicationExposedMilliseconds,
         communicationHiddenMilliseconds, optimizerMilliseconds, otherMilliseconds) = (x[0], x[1], x[2], x[3], x[4], x[5], x[6])
        self.gradientBytes = gradientBytes
        self.statisticsBytes = statisticsBytes
    }
}
