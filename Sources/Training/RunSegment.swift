import Foundation
import Checkpointing

/// One stretch of a run between (re)starts: the world size it ran on, the step it started after, and
/// why it began. A run that survives a lost rank (`--max-restarts`) has several; each writes a
/// `"event": "segment"` record to metrics.jsonl when it starts, and summary.json lists them all.
///
/// ```swift
/// run.restart = .init(number: 1, cause: "rank 2 exited on signal 9 (Killed)")
/// ```
public struct RunSegment: Codable, Sendable, Equatable {
    public var event = "segment"
    public var worldSize: Int
    /// Steps completed before this segment (the checkpoint it resumed from; 0 for a fresh start).
    public var startStep: Int
    /// 0 for the first segment, then 1, 2, … for each restart.
    public var restart: Int
    /// What ended the previous segment (nil for the first).
    public var cause: String?

    public init(worldSize: Int, startStep: Int, restart: Int, cause: String?) {
        self.worldSize = worldSize
        self.startStep = startStep
        self.restart = restart
        self.cause = cause
    }

    /// Why a segment began: the restart number given by the supervisor and the failure it saw.
    public struct Restart: Sendable, Equatable {
        public var number: Int
        public var cause: String?
        public init(number: Int, cause: String?) {
            self.number = number
            self.cause = cause
        }
        public static let none = Restart(number: 0, cause: nil)
    }

    enum CodingKeys: String, CodingKey {
        case event, restart, cause
        case worldSize = "world_size", startStep = "start_step"
    }
}

/// What `MetricsLog.cutBack` needs to see of a record.
private struct RecordHeader: Decodable {
    var event: String?
    var step: Int?
}

extension MetricsLog {
    /// Keeps the records of `path` that a run resumed after `step` still stands behind: every segment
    /// record, and training and evaluation records up to `step`. Later ones were written by a segment
    /// that went on past its last checkpoint and are written again by the resumed run, so without this
    /// a resumed metrics.jsonl would hold them twice. Rewritten atomically; a missing file is left so.
    public static func cutBack(_ path: String, toStep step: Int) throws {
        guard FileManager.default.fileExists(atPath: path) else { return }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw TrainingError("\(path): cannot read the metrics file to resume it")
        }
        let decoder = JSONDecoder()
        var kept: [UInt8] = []
        for line in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true) {
            let header = try? decoder.decode(RecordHeader.self, from: Data(line))
            guard header?.event == "segment" || (header?.step ?? Int.max) <= step else { continue }
            kept += line + [UInt8(ascii: "\n")]
        }
        try AtomicFile.write(kept, to: path)
    }

    /// The segment records of `path`, in order.
    public static func segments(_ path: String) -> [RunSegment] {
        guard let data = FileManager.default.contents(atPath: path) else { return [] }
        let decoder = JSONDecoder()
        return data.split(separator: UInt8(ascii: "\n")).compactMap { line in
            guard let header = try? decoder.decode(RecordHeader.self, from: Data(line)), header.event == "segment" else { return nil }
            return try? decoder.decode(RunSegment.self, from: Data(line))
        }
    }
}
