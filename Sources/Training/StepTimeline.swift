import Foundation

/// The phases a training step (and the run around it) is cut into by `StepTimeline`.
public enum StepPhase: String, Sendable, Codable, CaseIterable {
    /// Batch gathering, gradient bookkeeping, statistics: whatever lies between the named phases.
    case other
    case forward
    case backward
    /// One collective over the ranks (the gradients, then the statistics vector) that the step waited
    /// for: with overlap, the wait for the communication thread's last buckets.
    case reduction
    /// One gradient bucket reduced on the communication thread (overlap), concurrent with the spans
    /// of the rank's own thread.
    case bucketReduction = "bucket reduction"
    /// One layer's forward, nested in `forward` (the span's `label` names the layer).
    case layerForward = "layer forward"
    /// Backward up to the moment one layer's parameter gradients are final, nested in `backward`:
    /// the layer's own backward and that of the parameter-free layers (activations, dropout) above it.
    case layerBackward = "layer backward"
    /// Gradient scaling, clipping and the optimizer's update.
    case optimizer
    /// The whole step, from its first phase to its last (contains the others).
    case step
    case evaluation
    case checkpoint
}

/// One timed interval on one rank, in nanoseconds of the monotonic clock since the timeline's origin.
public struct TimelineSpan: Sendable, Equatable, Codable {
    public let phase: StepPhase
    /// The optimizer step (0-based) the span belongs to.
    public let step: Int
    public let start: UInt64
    public let end: UInt64
    /// For layer spans, the index of the layer's name in the timeline's `labels`.
    public var label: Int?
    public var seconds: Double { Double(end - start) / 1e9 }

    public init(phase: StepPhase, step: Int, start: UInt64, end: UInt64, label: Int? = nil) {
        self.phase = phase
        self.step = step
        self.start = start
        self.end = end
        self.label = label
    }
}

/// Timestamps at the phase boundaries of `Trainer.step` (and of evaluations and checkpoints), for the
/// step-time breakdown of `lockstep bench scaling` and the trace of `lockstep train --timeline`.
///
/// The trainer holds an optional timeline and calls `mark` at each boundary: with none attached a
/// mark is one nil check, and no clock is read. Each `mark(phase)` closes the span that began at the
/// previous mark, so the spans of a step tile it with no gaps: their durations add up to the step's.
///
/// ```swift
/// let timeline = StepTimeline()
/// trainer.timeline = timeline
/// try trainer.step()
/// let backward = timeline.seconds(of: .backward)    // seconds spent in backward so far
/// ```
public final class StepTimeline {
    /// The clock reading that timestamps are relative to (shared by every rank of one process, so the
    /// ranks' spans line up in a trace).
    public let origin: UInt64
    public private(set) var spans: [TimelineSpan] = []
    /// Names of the layers that layer spans refer to (set by the trainer: `layer1 Linear(20→64)`).
    public var labels: [String] = []
    /// Whether layer forward spans are being recorded: the trainer sets it around a training
    /// forward, so that evaluation's forward passes (which run the same hooks) leave none.
    public var recordsLayers = false
    private var stepStart: UInt64 = 0
    private var last: UInt64 = 0
    private var layerCursor: UInt64 = 0      // where the next layer span starts
    private var currentStep = 0

    public init(origin: UInt64 = DispatchTime.now().uptimeNanoseconds) {
        self.origin = origin
        spans.reserveCapacity(1024)
    }

    private func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds - origin }

    /// Starts step `step`: the next mark closes its first span.
    public func beginStep(_ step: Int) {
        currentStep = step
        stepStart = now()
        last = stepStart
        layerCursor = stepStart
    }

    /// Closes the span since the previous mark as `phase`.
    public func mark(_ phase: StepPhase) {
        let t = now()
        spans.append(TimelineSpan(phase: phase, step: currentStep, start: last, end: t))
        last = t
        layerCursor = t
    }

    /// Closes a layer span (`layerForward`, `layerBackward`) of layer `label` since the previous mark
    /// or layer span, whichever is later; it nests in the phase span that the next mark closes.
    public func markLayer(_ phase: StepPhase, label: Int) {
        guard recordsLayers else { return }
        let t = now()
        spans.append(TimelineSpan(phase: phase, step: currentStep, start: layerCursor, end: t, label: label))
        layerCursor = t
    }

    /// Closes the last span as `.other` and records the whole step as a `.step` span.
    public func endStep() {
        mark(.other)
        spans.append(TimelineSpan(phase: .step, step: currentStep, start: stepStart, end: last))
    }

    /// Records spans that ran on another thread during the current step (the communication thread's
    /// buckets), from monotonic-clock readings (`DispatchTime.uptimeNanoseconds`).
    public func addConcurrent(_ phase: StepPhase, _ intervals: [(start: UInt64, end: UInt64)]) {
        for (start, end) in intervals {
            spans.append(TimelineSpan(phase: phase, step: currentStep, start: start - origin, end: end - origin))
        }
    }

    /// Times `body` as one span of `phase` (evaluations, checkpoint writes) after step `step`.
    public func record<R>(_ phase: StepPhase, step: Int, _ body: () throws -> R) rethrows -> R {
        let start = now()
        defer { spans.append(TimelineSpan(phase: phase, step: step, start: start, end: now())) }
        return try body()
    }

    /// Total seconds of `phase` over the spans of steps `steps` (all steps when nil).
    public func seconds(of phase: StepPhase, steps: Range<Int>? = nil) -> Double {
        spans.reduce(0) { total, span in
            span.phase == phase && steps.map { $0.contains(span.step) } != false ? total + span.seconds : total
        }
    }

    /// Forgets every span (e.g. after warm-up steps).
    public func removeAll() {
        spans.removeAll(keepingCapacity: true)
    }
}

extension Optional where Wrapped == StepTimeline {
    /// Runs `body`, timed as a span of `phase` when a timeline is attached (no clock read otherwise).
    public func record<R>(_ phase: StepPhase, step: Int, _ body: () throws -> R) rethrows -> R {
        switch self {
        case .some(let timeline): return try timeline.record(phase, step: step, body)
        case .none: return try body()
        }
    }
}
