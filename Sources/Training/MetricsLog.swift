#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Checkpointing
import Datasets

/// `OUT/metrics.jsonl`, one `MetricsRecord` per line: rank 0 appends them through `JSONOutput`
/// (sorted keys, never a non-finite number), and `read` gives them back typed.
///
/// ```swift
/// let log = try MetricsLog(path: "runs/x/metrics.jsonl")
/// try log.append(.train(TrainRecord(step: 10, loss: 0.41, learningRate: 0.1, samplesPerSecond: 9000, gradientNorm: nil)))
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

    /// Writes `event` as one line of JSON, stamped with the wall-clock `time` (ISO 8601, UTC,
    /// milliseconds) and `elapsed_seconds` since `start`.
    public func append(_ event: MetricsRecord.Event) throws {
        let now = Date()
        let record = MetricsRecord(event: event, time: Self.timestamp.string(from: now),
                                   elapsedSeconds: (now.timeIntervalSince(start) * 1000).rounded() / 1000)
        try handle.write(contentsOf: Data((try JSONOutput.line(record) + "\n").utf8))
    }

    nonisolated(unsafe) private static let timestamp: ISO8601DateFormatter = {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter
    }()
}

extension MetricsLog {
    /// The records of the metrics file at `path`, in file order. A line that is not a record is
    /// skipped: a run killed mid-append leaves its last line cut short, and the records before it
    /// still stand. Throws when the file cannot be read.
    public static func read(_ path: String) throws -> [MetricsRecord] {
        var records: [MetricsRecord] = []
        try forEachRecord(path) { records.append($0) }
        return records
    }

    /// Calls `body` with each record of `path` in file order, reading the file a chunk at a time
    /// (`CSVLineReader`, a line reader, which also refuses anything but a regular file): memory stays
    /// at a chunk however long the log, where `read` holds every record. Lines that are not records are
    /// skipped, as by `read`.
    public static func forEachRecord(_ path: String, _ body: (MetricsRecord) throws -> Void) throws {
        let reader: CSVLineReader
        do {
            reader = try CSVLineReader(path: path)
        } catch {
            throw TrainingError("\(path): cannot read the metrics file (\(error))")
        }
        let decoder = JSONDecoder()
        // nil at the end of the file; .some(nil) for a line that is not a record.
        while let record = try reader.nextLine({ bytes, line -> MetricsRecord? in
            try? decoder.decode(MetricsRecord.self, from: Data(UnsafeBufferPointer(rebasing: bytes[line])))
        }) {
            if let record { try body(record) }
        }
    }

    /// The segment records of `path`, in order; none when it cannot be read.
    public static func segments(_ path: String) -> [RunSegment] {
        ((try? read(path)) ?? []).compactMap { if case .segment(let segment) = $0.event { segment } else { nil } }
    }

    /// Keeps the records of `path` that a run resumed after `step` still stands behind: every segment
    /// record, and training and evaluation records up to `step`. Later ones were written by a segment
    /// that went on past its last checkpoint and are written again by the resumed run, so without this
    /// a resumed metrics.jsonl would hold them twice; a line cut short goes too. The kept lines are
    /// copied as they are, rewritten atomically; a missing file is left so.
    public static func cutBack(_ path: String, toStep step: Int) throws {
        guard FileManager.default.fileExists(atPath: path) else { return }
        var kept: [UInt8] = []
        for line in try lines(path) {
            guard let record = line.record, (record.step ?? step) <= step else { continue }
            kept += line.text + [UInt8(ascii: "\n")]
        }
        try AtomicFile.write(kept, to: path)
    }

    /// Every non-empty line of `path` and the record it holds, if it is one.
    private static func lines(_ path: String) throws -> [(text: ArraySlice<UInt8>, record: MetricsRecord?)] {
        // A regular file only (`DataFile`): a FIFO or a device in a run folder must not hang `plot`.
        let bytes: [UInt8]
        do {
            bytes = try DataFile.contents(of: path)
        } catch {
            throw TrainingError("\(path): cannot read the metrics file (\(error))")
        }
        let decoder = JSONDecoder()
        return bytes.split(separator: UInt8(ascii: "\n")).map { line in
            (line, try? decoder.decode(MetricsRecord.self, from: Data(line)))
        }
    }
}
