import TensorCore

/// What `distributed.overlap: auto` chose, and the step times it chose from (mean over the ranks and
/// the timed steps).
public struct OverlapChoice: Sendable, Equatable {
    public let overlap: Bool
    public let secondsPerStepWithout: Double
    public let secondsPerStepWith: Double
}

/// `distributed.overlap: auto`: since overlap never changes a bit, a run may find out which way is
/// faster on its own machine and network instead of being told. The first steps alternate in two
/// blocks — one warm-up step and `timedSteps` timed steps without overlap, then the same with it —
/// and on the next step every rank writes its two sums of step seconds into two slots of the
/// statistics vector, so that the reduction every step makes anyway adds them over the ranks. The
/// sums travel as whole microseconds, which floats add exactly (up to 2²⁴ µs, 16 s, in all): every
/// rank holds the same totals whatever order the reduction adds them in — even with
/// `reduction: mpi` — and takes the same decision for the rest of the run: overlap if its steps were
/// faster (a tie keeps the reduction after backward).
///
/// A run shorter than the trial simply follows its schedule. A resumed run times again (the machine,
/// the world size or the network may have changed).
///
/// ```swift
/// var trial = OverlapTrial()
/// sync.overlapEnabled = trial.overlapsNextStep        // before each step
/// trial.record(into: statistics, at: offset)           // with the last micro-batch's statistics
/// trial.stepFinished(seconds: t, reduced: statistics, at: offset, ranks: w)   // after the reduction
/// ```
struct OverlapTrial {
    /// Steps timed each way, after one warm-up step each.
    static let timedSteps = 3
    /// Slots in the statistics vector: the seconds without and with overlap.
    static let slots = 2

    private var steps = 0                              // steps finished
    private var secondsWithout = 0.0, secondsWith = 0.0
    private(set) var choice: OverlapChoice?

    /// Steps 0 … k without overlap (0 the warm-up), k+1 … 2k+1 with it (k+1 the warm-up), then the
    /// deciding step (without), then the choice.
    var overlapsNextStep: Bool {
        if let choice { return choice.overlap }
        return steps > Self.timedSteps && steps <= 2 * Self.timedSteps + 1
    }

    private var decidesNextStep: Bool { choice == nil && steps == 2 * Self.timedSteps + 2 }

    /// Writes this rank's sums into `statistics[offset ..< offset + 2]` on the deciding step, zeros
    /// on the others (call it with each micro-batch's statistics; only the last one's may carry them).
    func record(into statistics: Tensor, at offset: Int, isLast: Bool = true) {
        let s = statistics.floats
        let carries = isLast && decidesNextStep
        s[offset] = carries ? Float((secondsWithout * 1e6).rounded()) : 0
        s[offset + 1] = carries ? Float((secondsWith * 1e6).rounded()) : 0
    }

    /// After the step's statistics are reduced over `ranks` ranks: counts the step's `seconds`, or
    /// decides from the reduced sums.
    mutating func stepFinished(seconds: Double, reduced statistics: Tensor, at offset: Int, ranks: Int) {
        guard choice == nil else { return }
        if decidesNextStep {
            let s = statistics.floats, timed = 1e6 * Double(ranks * Self.timedSteps)   // µs → s per step
            let without = Double(s[offset]) / timed, with = Double(s[offset + 1]) / timed
            choice = OverlapChoice(overlap: with < without, secondsPerStepWithout: without, secondsPerStepWith: with)
        } else if steps >= 1 && steps <= Self.timedSteps {
            secondsWithout += seconds
        } else if steps >= Self.timedSteps + 2 && steps <= 2 * Self.timedSteps + 1 {
            secondsWith += seconds
        }
        steps += 1
    }
}
