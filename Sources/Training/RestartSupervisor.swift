import Foundation

/// Runs a training job again after it fails (a rank threw, died or was lost), from the newest
/// checkpoint on one rank fewer — torchrun's `--max-restarts`. The bits do not depend on the world
/// size, so a run restarted this way ends with the parameters of an uninterrupted one. A stop
/// (`RunInterrupted`, or a SIGINT/SIGTERM this process received) is never restarted.
///
/// `lockstep train --ranks N --max-restarts K` supervises simulated ranks in its own process and
/// `lockstep launch` an mpirun job: the same rule.
///
/// ```swift
/// let supervisor = RestartSupervisor(maxRestarts: 1, minRanks: 2)
/// let summary = try supervisor.run(ranks: 4) { attempt in
///     try train(ranks: attempt.ranks, resume: attempt.restart.number > 0)
/// }
/// ```
public struct RestartSupervisor: Sendable {
    public var maxRestarts: Int
    public var minRanks: Int
    /// Says that a restart is coming, in one line (standard error by default).
    public var announce: @Sendable (String) -> Void = { line in
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    public init(maxRestarts: Int, minRanks: Int = 1) {
        (self.maxRestarts, self.minRanks) = (maxRestarts, minRanks)
    }

    /// One try: its world size and which restart it is (`number` 0 for the first; a job started by
    /// a supervisor outside this process begins at that supervisor's count).
    public struct Attempt: Sendable {
        public var ranks: Int
        public var restart: RunSegment.Restart
    }

    /// `attempt`'s result, trying again after each failure while restarts are left and at least
    /// `minRanks` ranks would run. With `maxRestarts` 0 a failure is rethrown as it is; otherwise
    /// running out is one line naming the last failure.
    public func run<R>(ranks: Int, first: RunSegment.Restart = .none, _ attempt: (Attempt) throws -> R) throws -> R {
        var current = Attempt(ranks: ranks, restart: first)
        while true {
            do {
                return try attempt(current)
            } catch let error where !(error is RunInterrupted) && StopSignal.requested() == nil && maxRestarts > 0 {
                // A failure that lost more than one rank (a host with its slots) says how many are left.
                let left = (error as? FailureLeavingRanks)?.ranksLeft ?? current.ranks - 1
                guard current.restart.number - first.number < maxRestarts else {
                    throw TrainingError("restarts exhausted (\(maxRestarts)): \(error)")
                }
                guard left >= minRanks else {
                    throw TrainingError("\(error); no restart: \(left) rank\(left == 1 ? "" : "s") would be left, fewer than --min-ranks \(minRanks)")
                }
                current = Attempt(ranks: left, restart: .init(number: current.restart.number + 1, cause: "\(error)"))
                announce("\(error); restarting from the newest checkpoint on \(left) rank\(left == 1 ? "" : "s") "
                         + "(restart \(current.restart.number - first.number) of \(maxRestarts))")
            }
        }
    }
}

/// A failure after which a known number of ranks can run, e.g. `lockstep launch --hostfile` after a
/// host was lost with all its slots: `RestartSupervisor` restarts on `ranksLeft` instead of one rank fewer.
///
/// ```swift
/// struct HostLost: FailureLeavingRanks { var ranksLeft: Int? }
/// try RestartSupervisor(maxRestarts: 1).run(ranks: 4) { attempt in
///     if attempt.ranks == 4 { throw HostLost(ranksLeft: 2) }   // the restart runs on 2 ranks
/// }
/// ```
public protocol FailureLeavingRanks: Error {
    var ranksLeft: Int? { get }
}
