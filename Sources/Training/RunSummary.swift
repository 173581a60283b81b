/// `OUT/summary.json`: what a finished run did and reached. A loss or metric that is not finite
/// (a diverged run, the AUC of a one-class split) is written as `null` with a `<key>_undefined`
/// reason beside it (`JSONOutput`); reading it back gives NaN.
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
            loss = values.contains("loss") ? try values.decodeMetric(forKey: "loss") : nil
            accuracy = values.contains("accuracy") ? try values.decodeMetric(forKey: "accuracy") : nil
            auc = values.contains("auc") ? try values.decodeMetric(forKey: "auc") : nil
            aucUndefined = try values.decodeIfPresent(String.self, forKey: "auc_undefined")
        }

        public func encode(to encoder: Encoder) throws {
            var out = encoder.container(keyedBy: JSONKey.self)
            try out.encodeMetric(loss, forKey: "loss")
            try out.encodeMetric(accuracy, forKey: "accuracy")
            if auc == nil, let aucUndefined {
                try out.encodeNil(forKey: "auc")
                try out.encode(aucUndefined, forKey: "auc_undefined")
            } else {
                try out.encodeMetric(auc, forKey: "auc", undefined: aucUndefined)
            }
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

    public func encode(to encoder: Encoder) throws {
        var out = encoder.container(keyedBy: JSONKey.self)
        func key(_ key: CodingKeys) -> JSONKey { JSONKey(key.rawValue) }
        try out.encode(steps, forKey: key(.steps))
        try out.encode(worldSize, forKey: key(.worldSize))
        try out.encode(globalBatch, forKey: key(.globalBatch))
        try out.encode(microBatch, forKey: key(.microBatch))
        try out.encode(accumulation, forKey: key(.accumulation))
        try out.encode(reduction, forKey: key(.reduction))
        try out.encodeMetric(finalTrainLoss, forKey: key(.finalTrainLoss))
        try out.encode(validation, forKey: key(.validation))
        try out.encodeMetric(samplesPerSecond, forKey: key(.samplesPerSecond))
        try out.encodeMetric(secondsPerStep, forKey: key(.secondsPerStep))
        try out.encodeMetric(wallSeconds, forKey: key(.wallSeconds))
        try out.encode(parameterCount, forKey: key(.parameterCount))
        try out.encode(paramsSHA256, forKey: key(.paramsSHA256))
        try out.encode(configDigest, forKey: key(.configDigest))
        try out.encode(seed, forKey: key(.seed))
        try out.encodeMetric(communicationSecondsPerStep, forKey: key(.communicationSecondsPerStep))
        try out.encode(restarts, forKey: key(.restarts))
        try out.encode(segments, forKey: key(.segments))
        try out.encodeIfPresent(bestStep, forKey: key(.bestStep))
        try out.encodeIfPresent(bestMetric, forKey: key(.bestMetric))
        try out.encodeMetric(bestValue, forKey: key(.bestValue))
        try out.encodeIfPresent(stoppedEarly, forKey: key(.stoppedEarly))
    }

    public init(from decoder: Decoder) throws {
        let values = try decoder.container(keyedBy: CodingKeys.self)
        steps = try values.decode(Int.self, forKey: .steps)
        worldSize = try values.decode(Int.self, forKey: .worldSize)
        globalBatch = try values.decode(Int.self, forKey: .globalBatch)
        microBatch = try values.decode(Int.self, forKey: .microBatch)
        accumulation = try values.decode(Int.self, forKey: .accumulation)
        reduction = try values.decode(String.self, forKey: .reduction)
        finalTrainLoss = try values.decodeMetric(forKey: .finalTrainLoss)
        validation = try values.decode(Validation.self, forKey: .validation)
        samplesPerSecond = try values.decodeMetric(forKey: .samplesPerSecond)
        secondsPerStep = try values.decodeMetric(forKey: .secondsPerStep)
        wallSeconds = try values.decodeMetric(forKey: .wallSeconds)
        parameterCount = try values.decode(Int.self, forKey: .parameterCount)
        paramsSHA256 = try values.decode(String.self, forKey: .paramsSHA256)
        configDigest = try values.decode(String.self, forKey: .configDigest)
        seed = try values.decode(UInt64.self, forKey: .seed)
        communicationSecondsPerStep = try values.decodeMetric(forKey: .communicationSecondsPerStep)
        restarts = try values.decode(Int.self, forKey: .restarts)
        segments = try values.decode([RunSegment].self, forKey: .segments)
        bestStep = try values.decodeIfPresent(Int.self, forKey: .bestStep)
        bestMetric = try values.decodeIfPresent(String.self, forKey: .bestMetric)
        bestValue = values.contains(.bestValue) ? try values.decodeMetric(forKey: .bestValue) : nil
        stoppedEarly = try values.decodeIfPresent(Bool.self, forKey: .stoppedEarly)
    }
}
