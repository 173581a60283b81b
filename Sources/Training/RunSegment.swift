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
