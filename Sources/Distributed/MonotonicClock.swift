#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The monotonic clock in nanoseconds, and sleeping until a point on it: how a shaped network
/// charges a transfer its modelled time (`ShapedCommunicator`).
///
/// ```swift
/// let deadline = MonotonicClock.nanoseconds + 1_700_000      // 1.7 ms from now
/// MonotonicClock.sleep(until: deadline)
/// ```
public enum MonotonicClock {
    public static var nanoseconds: UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)   // cannot fail for CLOCK_MONOTONIC and a valid pointer
        return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
    }

    /// Sleeps until `deadline` (absolute, so an interrupted sleep resumes without drift); returns at
    /// once when it has passed.
    public static func sleep(until deadline: UInt64) {
        guard deadline > nanoseconds else { return }
        var target = timespec(tv_sec: Int(deadline / 1_000_000_000), tv_nsec: Int(deadline % 1_000_000_000))
        while clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &target, nil) == EINTR {}
    }
}
