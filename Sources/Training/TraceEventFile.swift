import Foundation
import Checkpointing
import Distributed

/// Writes every rank's `StepTimeline` as one Chrome trace-event JSON file (loadable in Perfetto and
/// chrome://tracing): a process per rank, `ph: "X"` complete events with microsecond timestamps —
/// each step, and nested in it forward and backward (and in those, each layer's), each reduction, the
/// optimizer and the rest; and
/// evaluations and checkpoint writes between steps. With overlap, each gradient bucket's reduction is
/// a span on a second track of the rank (thread 1, "communication thread").
///
/// Timestamps are the monotonic clock of the machine, so ranks on one machine (threads or processes)
/// line up; they start at 0 at the earliest span.
///
/// ```swift
/// let timeline = StepTimeline(origin: 0)
/// run.timeline = timeline
/// try run.run()
/// try TraceEventFile.gatherAndWrite(timeline, over: comm, to: "runs/x/timeline.json")   // every rank calls it
/// ```
public enum TraceEventFile {
    /// Collects every rank's spans on rank 0 (one broadcast per rank) and writes the file there,
    /// atomically. A collective: every rank must call it.
    public static func gatherAndWrite(_ timeline: StepTimeline, over comm: Communicator, to path: String) throws {
        var perRank: [[TimelineSpan]] = []
        for source in 0..<comm.worldSize {
            var count = [UInt64(comm.rank == source ? timeline.spans.count : 0)]
            try count.withUnsafeMutableBytes { try comm.broadcast($0, root: source) }
            var words = comm.rank == source ? encode(timeline.spans) : [UInt64](repeating: 0, count: wordsPerSpan * Int(count[0]))
            try words.withUnsafeMutableBytes { try comm.broadcast($0, root: source) }
            perRank.append(decode(words))
        }
        guard comm.rank == 0 else { return }
        // Every rank runs the same model, so rank 0's layer names serve all.
        try AtomicFile.write(Array(try json(perRank, labels: timeline.labels).utf8), to: path)
    }

    /// The trace of `perRank[r]` as rank r's process; layer spans are named by `labels`. One event
    /// per line, each through `JSONOutput` (so that a layer name is escaped like any JSON string).
    public static func json(_ perRank: [[TimelineSpan]], labels: [String] = []) throws -> String {
        let origin = perRank.joined().map(\.start).min() ?? 0
        var events: [TraceEvent] = []
        for (rank, spans) in perRank.enumerated() {
            events.append(TraceEvent(name: "process_name", ph: "M", pid: rank, tid: 0, args: .init(name: "rank \(rank)")))
            events.append(TraceEvent(name: "process_sort_index", ph: "M", pid: rank, tid: 0, args: .init(sortIndex: rank)))
            if spans.contains(where: { $0.phase == .bucketReduction }) {
                events.append(TraceEvent(name: "thread_name", ph: "M", pid: rank, tid: 1, args: .init(name: "communication thread")))
            }
            // Parents before children: by start, then longest first.
            let ordered = spans.sorted { ($0.start, $1.end) < ($1.start, $0.end) }
            for span in ordered {
                let name = span.phase == .step ? "step \(span.step)"
                    : span.label.map { (span.phase == .layerForward ? "forward " : "backward ") + (labels.indices.contains($0) ? labels[$0] : "layer \($0)") }
                    ?? span.phase.rawValue
                events.append(TraceEvent(name: name, cat: span.phase.rawValue, ph: "X",
                                         ts: Double(span.start - origin) / 1e3, dur: Double(span.end - span.start) / 1e3,
                                         pid: rank, tid: span.phase == .bucketReduction ? 1 : 0, args: .init(step: span.step)))
            }
        }
        let lines = try events.map { try JSONOutput.line($0) }
        return "{\"displayTimeUnit\":\"ms\",\"traceEvents\":[\n" + lines.joined(separator: ",\n") + "\n]}\n"
    }

    /// One event as the trace-event format spells it; metadata events (`ph: "M"`) have no time.
    private struct TraceEvent: Encodable {
        struct Args: Encodable {
            var name: String? = nil
            var sortIndex: Int? = nil
            var step: Int? = nil
            enum CodingKeys: String, CodingKey { case name, sortIndex = "sort_index", step }
        }
        var name: String
        var cat: String? = nil
        var ph: String
        var ts: Double? = nil
        var dur: Double? = nil
        var pid: Int
        var tid: Int
        var args: Args
    }

    private static let wordsPerSpan = 5

    private static func encode(_ spans: [TimelineSpan]) -> [UInt64] {
        var words: [UInt64] = []
        words.reserveCapacity(wordsPerSpan * spans.count)
        for span in spans {
            let phase = UInt64(StepPhase.allCases.firstIndex(of: span.phase)!)
            let label: UInt64 = span.label.map { UInt64($0) + 1 } ?? 0      // 0: none
            words += [phase, UInt64(span.step), span.start, span.end, label]
        }
        return words
    }

    private static func decode(_ words: [UInt64]) -> [TimelineSpan] {
        stride(from: 0, to: words.count, by: wordsPerSpan).map { (i: Int) -> TimelineSpan in
            let label: Int? = words[i + 4] == 0 ? nil : Int(words[i + 4] - 1)
            return TimelineSpan(phase: StepPhase.allCases[Int(words[i])], step: Int(words[i + 1]),
                                start: words[i + 2], end: words[i + 3], label: label)
        }
    }
}
