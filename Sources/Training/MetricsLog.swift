#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Appends one JSON object per line to `OUT/metrics.jsonl` (rank 0 only): `TrainRecord`s and
/// `EvalRecord`s, through `JSONOutput` (sorted keys, never a non-finite number).
///
/// ```swift
/// let log = try MetricsLog(path: "runs/x/metrics.jsonl")
/// try log.append(TrainRecord(step: 10, loss: 0.41, learningRate: 0.1, samplesPerSecond: 9000, gradientNorm: nil))
/// ```
public final class MetricsLog {
    public let path: String
    /// Every record gets `elapsed_seconds` since this moment (the run's start).
    public let start: Date
    private let handle: FileHandle

    public init(path: String, truncate: Bool = true, start: Date = Date()) throws {
        self.path = path
        self.start = start
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | (truncate ? O_TRUNC : 0), 0o644)
        guard fd >= 0 else {
            throw TrainingError("\(path): cannot open the metrics file for writing (\(String(cString: strerror(errno))))")
        }
        handle = FileHandle(fileDescriptor: fd, closeOnDealloc: false)
    }

    deinit { try? handle.close() }

    /// Writes one record as a line of JSON with sorted keys, stamped with the wall-clock `time`
    /// (ISO 8601, UTC, milliseconds) and `elapsed_seconds` since `start`.
    public func append<Record: Encodable>(_ record: Record) throws {
        let now = Date()
        let stamped = Stamped(record: record, time: Self.timestamp.string(from: now),
                              elapsedSeconds: (now.timeIntervalSince(start) * 1000).rounded() / 1000)
        try handle.write(contentsOf: Data((try JSONOutput.line(stamped) + "\n").utf8))
    }

    nonisolated(unsafe) private static let timestamp: ISO8601DateFormatter = {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter
    }()
}

/// A record's own keys plus `time` and `elapsed_seconds`, in one JSON object.
private struct Stamped<Record: Encodable>: Encodable {
    let record: Record
    let time: String
    let elapsedSeconds: Double

    func encode(to encoder: Encoder) throws {
        try record.encode(to: encoder)
        var out = encoder.container(keyedBy: JSONKey.self)
        try out.encode(time, forKey: "time")
        try out.encode(elapsedSeconds, forKey: "elapsed_seconds")
    }
}

/// `{"event": "train", "step", "loss", "lr", "samples_per_second", "grad_norm"?}`: one logged step.
public struct TrainRecord: Encodable, Sendable {
    public var step: Int
    public var loss: Double
    public var learningRate: Double
    public var samplesPerSecond: Double
    /// The global gradient norm, when clipping computed it.
    public var gradientNorm: Double?

    public init(step: Int, loss: Double, learningRate: Double, samplesPerSecond: Double, gradientNorm: Double?) {
        self.step = step
        self.loss = loss
        self.learningRate = learningRate
        self.samplesPerSecond = samplesPerSecond
        self.gradientNorm = gradientNorm
    }

    public func encode(to encoder: Encoder) throws {
        var out = encoder.container(keyedBy: JSONKey.self)
        try out.encode("train", forKey: "event")
        try out.encode(step, forKey: "step")
        try out.encode(Metric(loss), forKey: "loss")
        try out.encode(Metric(learningRate), forKey: "lr")
        try out.encode(Metric(samplesPerSecond), forKey: "samples_per_second")
        try out.encodeIfPresent(gradientNorm.map { Metric($0) }, forKey: "grad_norm")
    }
}

/// `{"event": "eval", "step", "validation": {…}}`: one evaluation on the validation split.
public struct EvalRecord: Encodable, Sendable {
    public var step: Int
    public var validation: EvaluationResult

    public init(step: Int, validation: EvaluationResult) {
        self.step = step
        self.validation = validation
    }

    public func encode(to encoder: Encoder) throws {
        var out = encoder.container(keyedBy: JSONKey.self)
        try out.encode("eval", forKey: "event")
        try out.encode(step, forKey: "step")
        try out.encode(validation, forKey: "validation")
    }
}
