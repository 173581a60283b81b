/// `OUT/summary.json`: what a finished run did and reached. A loss or metric that is not finite
/// (a diverged run, the AUC of a one-class split) is written as `null` with a `<key>_undefined`
/// reason beside it (`Metric`); reading it back gives NaN.
public struct RunSummary: Codable, Sendable, Equatable {
    public struct Validation: Codable, Sendable, Equatable {
        /// Nil when the run had no validation split.
        public var loss: Double?
        public var accuracy: Double?
        public var auc: Double?

        /// Why the AUC is undefined (one class in the validation split, NaN scores), when it is.
        public var aucUndefined: String?

        public init(loss: Double?, accuracy: Double?, auc: Double?, aucUndefined: String? = nil) {
            self.loss = loss
            self.accuracy = accuracy
            self.auc = auc
            self.aucUndefined = aucUndefined
        }

        /// The summary's view of a final evaluation (nil: the run had no validation split).
        public init(_ evaluation: EvaluationResult?) {
            self.init(loss: evaluation?.loss, accuracy: evaluation?.accuracy, auc: evaluation?.auc,
                      aucUndefined: evaluation?.undefined["auc"])
        }

        public init(from decoder: Decoder) throws {
            let values = try decoder.container(keyedBy: JSONKey.self)
            loss = try values.decodeIfPresent(Metric.self, forKey: "loss")?.number
            accuracy = try values.decodeIfPresent(Metric.self, forKey: "accuracy")?.number
            let auc = try values.decodeIfPresent(Metric.self, forKey: "auc")
            self.auc = auc?.number
            aucUndefined = auc?.undefinedReason
        }

        public func encode(to encoder: Encoder) throws {
            var out = encoder.container(keyedBy: JSONKey.self)
            try out.encodeIfPresent(loss.map { Metric($0) }, forKey: "loss")
            try out.encodeIfPresent(accuracy.map { Metric($0) }, forKey: "accuracy")
            try out.encodeIfPresent(Metric(auc, undefined: aucUndefined), forKey: "auc")
        }
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
    /// A run that learned nothing or diverged (`RunCollapse`); nil for a healthy one.
    public var collapse: RunCollapse? = nil

    public init(steps: Int, worldSize: Int, globalBatch: Int, microBatch: Int, accumulation: Int, reduction: String,
                finalTrainLoss: Double, validation: Validation, samplesPerSecond: Double, secondsPerStep: Double,
                wallSeconds: Double, parameterCount: Int, paramsSHA256: String, configDigest: String, seed: UInt64,
                communicationSecondsPerStep: Double, restarts: Int = 0, segments: [RunSegment] = [],
                bestStep: Int? = nil, bestMetric: String? = nil, bestValue: Double? = nil, stoppedEarly: Bool? = nil) {
        self.steps = steps
        self.worldSize = worldSize
        self.globalBatch = globalBatch
        self.microBatch = microBatch
        self.accumulation = accumulation
        self.reduction = reduction
        self.finalTrainLoss = finalTrainLoss
        self.validation = validation
        self.samplesPerSecond = samplesPerSecond
        self.secondsPerStep = secondsPerStep
        self.wallSeconds = wallSeconds
        self.parameterCount = parameterCount
        self.paramsSHA256 = paramsSHA256
        self.configDigest = configDigest
        self.seed = seed
        self.communicationSecondsPerStep = communicationSecondsPerStep
        self.restarts = restarts
        self.segments = segments
        self.bestStep = bestStep
        self.bestMetric = bestMetric
        self.bestValue = bestValue
        self.stoppedEarly = stoppedEarly
    }

    // By hand, for the metrics' `<key>_undefined` reasons (see `Metric`); the keys are snake_case.
    public func encode(to encoder: Encoder) throws {
        var out = encoder.container(keyedBy: JSONKey.self)
        try out.encode(steps, forKey: "steps")
        try out.encode(worldSize, forKey: "world_size")
        try out.encode(globalBatch, forKey: "global_batch")
        try out.encode(microBatch, forKey: "micro_batch")
        try out.encode(accumulation, forKey: "accumulation")
        try out.encode(reduction, forKey: "reduction")
        try out.encode(Metric(finalTrainLoss), forKey: "final_train_loss")
        try out.encode(validation, forKey: "validation")
        try out.encode(Metric(samplesPerSecond), forKey: "samples_per_second")
        try out.encode(Metric(secondsPerStep), forKey: "seconds_per_step")
        try out.encode(Metric(wallSeconds), forKey: "wall_seconds")
        try out.encode(parameterCount, forKey: "parameter_count")
        try out.encode(paramsSHA256, forKey: "params_sha256")
        try out.encode(configDigest, forKey: "config_digest")
        try out.encode(seed, forKey: "seed")
        try out.encode(Metric(communicationSecondsPerStep), forKey: "communication_seconds_per_step")
        try out.encode(restarts, forKey: "restarts")
        try out.encode(segments, forKey: "segments")
        try out.encodeIfPresent(bestStep, forKey: "best_step")
        try out.encodeIfPresent(bestMetric, forKey: "best_metric")
        try out.encodeIfPresent(bestValue.map { Metric($0) }, forKey: "best_value")
        try out.encodeIfPresent(stoppedEarly, forKey: "stopped_early")
        try out.encodeIfPresent(collapse, forKey: "collapse")
    }

    public init(from decoder: Decoder) throws {
        let values = try decoder.container(keyedBy: JSONKey.self)
        steps = try values.decode(Int.self, forKey: "steps")
        worldSize = try values.decode(Int.self, forKey: "world_size")
        globalBatch = try values.decode(Int.self, forKey: "global_batch")
        microBatch = try values.decode(Int.self, forKey: "micro_batch")
        accumulation = try values.decode(Int.self, forKey: "accumulation")
        reduction = try values.decode(String.self, forKey: "reduction")
        finalTrainLoss = try values.decode(Metric.self, forKey: "final_train_loss").number
        validation = try values.decode(Validation.self, forKey: "validation")
        samplesPerSecond = try values.decode(Metric.self, forKey: "samples_per_second").number
        secondsPerStep = try values.decode(Metric.self, forKey: "seconds_per_step").number
        wallSeconds = try values.decode(Metric.self, forKey: "wall_seconds").number
        parameterCount = try values.decode(Int.self, forKey: "parameter_count")
        paramsSHA256 = try values.decode(String.self, forKey: "params_sha256")
        configDigest = try values.decode(String.self, forKey: "config_digest")
        seed = try values.decode(UInt64.self, forKey: "seed")
        communicationSecondsPerStep = try values.decode(Metric.self, forKey: "communication_seconds_per_step").number
        restarts = try values.decode(Int.self, forKey: "restarts")
        segments = try values.decode([RunSegment].self, forKey: "segments")
        bestStep = try values.decodeIfPresent(Int.self, forKey: "best_step")
        bestMetric = try values.decodeIfPresent(String.self, forKey: "best_metric")
        bestValue = try values.decodeIfPresent(Metric.self, forKey: "best_value")?.number
        stoppedEarly = try values.decodeIfPresent(Bool.self, forKey: "stopped_early")
        collapse = try values.decodeIfPresent(RunCollapse.self, forKey: "collapse")
    }
}
