#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import TensorCore

/// The ranks' votes to stop a run, carried in the last two slots of the statistics vector that every
/// step reduces anyway (`Trainer`), so that agreeing on a signal costs no collective of its own. (It
/// was an allreduce of two floats after every step; measured, `mpirun -np 2` training the reference
/// model for 5,000 steps, without it the wall time per step went from 125–128 to 122–124 µs.)
///
/// Each rank writes its vote into its last micro-batch's statistics (zeros into the others): slot
/// `n−2` counts ranks with SIGINT, slot `n−1` ranks with any other signal. After the reduction a
/// slot above zero means some rank voted; SIGTERM (or any other signal) wins over SIGINT, so a job
/// scheduler's termination is never taken for a user's interrupt.
///
/// ```swift
/// StopVote.record(stopRequest(), into: statistics)    // before the statistics are reduced
/// let agreed = StopVote.agreed(statistics)            // after: SIGTERM, SIGINT or nil on every rank
/// ```
enum StopVote {
    /// Slots at the end of the statistics vector.
    static let slots = 2

    /// Writes this rank's vote (`nil`: none) into the last slots of `statistics`.
    static func record(_ signal: Int32?, into statistics: Tensor) {
        let s = statistics.floats, n = statistics.count
        s[n - 2] = signal == SIGINT ? 1 : 0
        s[n - 1] = signal != nil && signal != SIGINT ? 1 : 0
    }

    /// The signal the ranks agreed on, read from the reduced statistics.
    static func agreed(_ statistics: Tensor) -> Int32? {
        let s = statistics.floats, n = statistics.count
        return s[n - 1] > 0 ? SIGTERM : s[n - 2] > 0 ? SIGINT : nil
    }
}
