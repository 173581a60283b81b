/// `OUT/summary.json`: what a finished run did and reached.
public struct RunSummary: Codable, Sendable, Equatable {
    public struct Validation: Codable, Sendable, Equatable {
        /// Nil when the run had no validation split.
        public var loss: Double?
        public var accuracy: Double?
        public var auc: Double?
    }

    public var steps: Int
    public var worldSize: Int
    public var globalBatch: Int
    public var microBatch: Int
    public var accumulation: Int
    public var reduction: String
    public var finalTrainLoss: Double
    public var validation: Validation
    public var samplesPerSecond: Double
    public var secondsPerStep: Double
    public var wallSeconds: Double
    public var parameterCount: Int
    public var paramsSHA256: String
    public var configDigest: String
    public var seed: UInt64
    /// Mean seconds per step spent in cross-rank reductions (0 for one rank).
    public var communicationSecondsPerStep: Double
    /// How many times a supervisor restarted the run after a failure (`--max-restarts`).
    public var restarts: Int
    /// The run's stretches between (re)starts, with the world size of each (rank 0's summary).
    public var segments: [RunSegment]
    /// With early stopping or save_best: the step of the best evaluation, the metric and its value.
    public var bestStep: Int? = nil
    public var bestMetric: String? = nil
    public var bestValue: Double? = nil
    /// With early stopping: whether it ended the run before train.steps.
    public var stoppedEarly: Bool? = nil

    enum CodingKeys: String, CodingKey {
        case steps, reduction, validation, seed
        case worldSize = "world_size", globalBatch = "global_batch", microBatch = "micro_batch"
        case accumulation, finalTrainLoss = "final_train_loss", samplesPerSecond = "samples_per_second"
        case secondsPerStep = "seconds_per_step", wallSeconds = "wall_seconds", parameterCount = "parameter_count"
        case paramsSHA256 = "params_sha256", configDigest = "config_digest"
        case communicationSecondsPerStep = "communication_seconds_per_step"
        case restarts, segments
        case bestStep = "best_step", bestMetric = "best_metric", bestValue = "best_value", stoppedEarly = "stopped_early"
    }
}
