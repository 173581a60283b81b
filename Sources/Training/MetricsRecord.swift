/// One line of `OUT/metrics.jsonl`: what happened (`event`: a logged step, an evaluation or the
/// start of a run segment), with `time` (UTC, ISO 8601, milliseconds) and `elapsed_seconds` since
/// the process started the run. `MetricsLog` writes and reads them.
///
/// ```swift
/// for record in try MetricsLog.read("runs/x/metrics.jsonl") {
///     if case .eval(let eval) = record.event { print(eval.step, eval.validation.loss) }
/// }
/// ```
public struct MetricsRecord: Codable, Sendable, Equatable {
    /// The record's own keys, `event` among them.
    public enum Event: Codable, Sendable, Equatable {
        case train(TrainRecord)
        case eval(EvalRecord)
        case segment(RunSegment)

        public init(from decoder: Decoder) throws {
            let values = try decoder.container(keyedBy: JSONKey.self)
            switch try values.decode(String.self, forKey: "event") {
            case "train": self = .train(try TrainRecord(from: decoder))
            case "eval": self = .eval(try EvalRecord(from: decoder))
            case "segment": self = .segment(try RunSegment(from: decoder))
            case let other:
                throw DecodingError.dataCorruptedError(forKey: "event", in: values, debugDescription: "unknown event '\(other)'")
            }
        }

        public func encode(to encoder: Encoder) throws {
            switch self {
            case .train(let record): try record.encode(to: encoder)
            case .eval(let record): try record.encode(to: encoder)
            case .segment(let record): try record.encode(to: encoder)
            }
        }
    }

    public var event: Event
    public var time: String
    public var elapsedSeconds: Double

    public init(event: Event, time: String, elapsedSeconds: Double) {
        self.event = event
        self.time = time
        self.elapsedSeconds = elapsedSeconds
    }

    // One JSON object: the event's keys and the two stamps side by side.
    public init(from decoder: Decoder) throws {
        let values = try decoder.container(keyedBy: JSONKey.self)
        event = try Event(from: decoder)
        time = try values.decode(String.self, forKey: "time")
        elapsedSeconds = try values.decode(Double.self, forKey: "elapsed_seconds")
    }

    public func encode(to encoder: Encoder) throws {
        try event.encode(to: encoder)
        var out = encoder.container(keyedBy: JSONKey.self)
        try out.encode(time, forKey: "time")
        try out.encode(elapsedSeconds, forKey: "elapsed_seconds")
    }

    /// The step the record is about; nil for a segment, which is about the run.
    public var step: Int? {
        switch event {
        case .train(let record): record.step
        case .eval(let record): record.step
        case .segment: nil
        }
    }
}

/// `{"event": "train", "step", "loss", "lr", "samples_per_second", "grad_norm"?}`: one logged step.
/// The figures are kept as the file holds them (`Metric`), so a record read back is the one written.
public struct TrainRecord: Codable, Sendable, Equatable {
    public var step: Int
    public var loss: Metric
    public var learningRate: Metric
    public var samplesPerSecond: Metric
    /// The global gradient norm, when clipping computed it.
    public var gradientNorm: Metric?

    public init(step: Int, loss: Double, learningRate: Double, samplesPerSecond: Double, gradientNorm: Double?) {
        self.step = step
        self.loss = Metric(loss)
        self.learningRate = Metric(learningRate)
        self.samplesPerSecond = Metric(samplesPerSecond)
        self.gradientNorm = gradientNorm.map { Metric($0) }
    }

    public init(from decoder: Decoder) throws {
        let values = try decoder.container(keyedBy: JSONKey.self)
        step = try values.decode(Int.self, forKey: "step")
        loss = try values.decode(Metric.self, forKey: "loss")
        learningRate = try values.decode(Metric.self, forKey: "lr")
        samplesPerSecond = try values.decode(Metric.self, forKey: "samples_per_second")
        gradientNorm = try values.decodeIfPresent(Metric.self, forKey: "grad_norm")
    }

    public func encode(to encoder: Encoder) throws {
        var out = encoder.container(keyedBy: JSONKey.self)
        try out.encode("train", forKey: "event")
        try out.encode(step, forKey: "step")
        try out.encode(loss, forKey: "loss")
        try out.encode(learningRate, forKey: "lr")
        try out.encode(samplesPerSecond, forKey: "samples_per_second")
        try out.encodeIfPresent(gradientNorm, forKey: "grad_norm")
    }
}

/// `{"event": "eval", "step", "validation": {…}}`: one evaluation on the validation split.
public struct EvalRecord: Codable, Sendable, Equatable {
    public var step: Int
    public var validation: EvaluationResult

    public init(step: Int, validation: EvaluationResult) {
        self.step = step
        self.validation = validation
    }

    public init(from decoder: Decoder) throws {
        let values = try decoder.container(keyedBy: JSONKey.self)
        step = try values.decode(Int.self, forKey: "step")
        validation = try values.decode(EvaluationResult.self, forKey: "validation")
    }

    public func encode(to encoder: Encoder) throws {
        var out = encoder.container(keyedBy: JSONKey.self)
        try out.encode("eval", forKey: "event")
        try out.encode(step, forKey: "step")
        try out.encode(validation, forKey: "validation")
    }
}
