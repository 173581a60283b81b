import Synchronization

/// Counts the tensor bytes allocated by one task inside `track { }`: how many are still alive, and the
/// most that were alive at once.
///
/// `TensorStorage.liveBytes` counts the whole process, so another thread (a simulated rank, a test
/// running in parallel) moves it too. A meter counts only storage allocated while it is tracking, on
/// the tracking task, and follows those bytes until they are freed, on whatever thread. Meters do not
/// nest: inside a meter's `track`, an inner meter's `track` takes over the counting until it returns.
///
/// ```swift
/// let meter = MemoryMeter()
/// let loss = try meter.track { try model(x).sum() }
/// print(meter.liveBytes)     // what the graph keeps for backward
/// try meter.track { try loss.backward() }
/// print(meter.peakBytes)     // the most held at once during forward and backward
/// ```
public final class MemoryMeter: Sendable {
    private let live = Atomic<Int>(0)
    private let peak = Atomic<Int>(0)

    public init() {}

    /// Bytes allocated while tracking and not yet freed.
    public var liveBytes: Int { live.load(ordering: .relaxed) }

    /// The highest `liveBytes` since this meter was made or `resetPeak()` was last called.
    public var peakBytes: Int { peak.load(ordering: .relaxed) }

    /// Restarts peak tracking from the current `liveBytes`.
    public func resetPeak() { peak.store(live.load(ordering: .relaxed), ordering: .relaxed) }

    /// Runs `body`, counting the tensor storage it allocates into this meter.
    public func track<R>(_ body: () throws -> R) rethrows -> R {
        Self.active.wrappingAdd(1, ordering: .relaxed)
        defer { Self.active.wrappingSubtract(1, ordering: .relaxed) }
        return try Self.$current.withValue(self, operation: body)
    }

    // MARK: Used by TensorStorage

    @TaskLocal static var current: MemoryMeter?
    /// How many `track` scopes are open in the process: while none is, allocations skip the task-local
    /// lookup.
    private static let active = Atomic<Int>(0)
    static var anyActive: Bool { active.load(ordering: .relaxed) > 0 }

    func counted(_ bytes: Int) {
        let now = live.wrappingAdd(bytes, ordering: .relaxed).newValue
        if now > peak.load(ordering: .relaxed) { peak.max(now, ordering: .relaxed) }
    }

    func uncounted(_ bytes: Int) {
        live.wrappingSubtract(bytes, ordering: .relaxed)
    }
}
