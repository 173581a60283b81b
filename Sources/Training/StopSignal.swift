#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// SIGINT (Ctrl-C) and SIGTERM (Slurm preemption, `scancel`, a scheduler's grace period) as a request
/// to stop cleanly: the handler only records the signal, and the training loop reads it between
/// steps, so every rank finishes the step it is in, rank 0 writes a checkpoint, and the process exits
/// with 128 + the signal (130, 143). A second SIGINT while the first is being served ends the process
/// at once (the user insists; checkpoints are written atomically, so nothing already saved is lost).
/// A repeated SIGTERM does not: schedulers routinely deliver the same SIGTERM twice (Slurm to the
/// task and the launcher forwarding it), and that must not cost the stop its checkpoint.
///
/// ```swift
/// StopSignal.install()
/// run.stopRequest = StopSignal.requested      // TrainingRun checks it after every step
/// ```
public enum StopSignal {
    /// The signal received (SIGINT or SIGTERM), or 0. Lock-free, so a signal handler may store it.
    private static let received = Atomic<Int32>(0)

    /// Routes SIGINT and SIGTERM to the flag and unblocks them (a launcher or test harness may start
    /// the process with them blocked, and a blocked signal would never arrive). Call once, on the main
    /// thread before other threads start: they inherit its signal mask.
    public static func install() {
        var unblocked = sigset_t()
        sigemptyset(&unblocked)
        for signal in [SIGINT, SIGTERM] {
            sigaddset(&unblocked, signal)
        }
        pthread_sigmask(SIG_UNBLOCK, &unblocked, nil)
        for signal in [SIGINT, SIGTERM] {
            var action = sigaction()
            #if canImport(Glibc)
            action.__sigaction_handler.sa_handler = handle
            #else
            action.__sigaction_u.__sa_handler = handle
            #endif
            sigemptyset(&action.sa_mask)
            action.sa_flags = SA_RESTART   // a signal must not turn a blocking read or MPI wait into an error
            sigaction(signal, &action, nil)
        }
    }

    /// The process the stop signals go on to (a launcher's `mpirun`), or 0. Lock-free, for the handler.
    private static let forwardTarget = Atomic<Int32>(0)

    /// Passes SIGINT and SIGTERM on to the process `pid` (a launcher's child, which has its own process
    /// group, so a Ctrl-C at the terminal reaches only the launcher), or stops passing them with nil.
    /// A signal received before the call is sent at once. A repeated SIGTERM is not passed on (a second
    /// one makes mpirun end the ranks before their checkpoint); a second SIGINT is, since the user
    /// insists. While forwarding, the launcher itself stays to reap its child instead of exiting.
    public static func forward(to pid: Int32?) {
        forwardTarget.store(pid ?? 0, ordering: .relaxed)
        if let pid, let signal = requested() { _ = kill(pid, signal) }   // ESRCH: the child is gone, nothing to stop
    }

    /// The stop signal received so far, if any.
    public static func requested() -> Int32? {
        let signal = received.load(ordering: .relaxed)
        return signal == 0 ? nil : signal
    }

    private static let handle: @convention(c) (Int32) -> Void = { signal in
        let (exchanged, _) = StopSignal.received.compareExchange(expected: 0, desired: signal, ordering: .relaxed)
        let target = StopSignal.forwardTarget.load(ordering: .relaxed)
        if target > 0 {
            // kill(2) is async-signal-safe; its failure (the child just exited) needs no handling.
            if exchanged || signal == SIGINT { _ = kill(target, signal) }
            return
        }
        if !exchanged, signal == SIGINT { _exit(128 + signal) }   // a second Ctrl-C: the user insists
    }
}

/// A run stopped on purpose by a signal, after its last complete step was checkpointed.
public struct RunInterrupted: Error, CustomStringConvertible {
    /// Steps completed (and saved in `checkpoint`).
    public let step: Int
    public let signal: Int32
    /// The checkpoint that holds step `step`, which `--resume` continues from.
    public let checkpoint: String

    /// 130 for SIGINT, 143 for SIGTERM: the shell's convention for a process ended by a signal.
    public var exitCode: Int32 { 128 + signal }

    public var description: String {
        "interrupted by \(signalName(signal)) at step \(step); checkpoint \(checkpoint)"
    }
}

/// `SIGINT`, `SIGTERM`, or `signal N`: how a stop's one-line message names its signal.
func signalName(_ signal: Int32) -> String {
    signal == SIGINT ? "SIGINT" : signal == SIGTERM ? "SIGTERM" : "signal \(signal)"
}
