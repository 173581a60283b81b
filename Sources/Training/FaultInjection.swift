import Foundation

/// A deliberate failure of one rank after one step, for testing that the world ends cleanly when a
/// rank throws, dies or hangs (`lockstep train --inject-fault throw:1:3`).
public struct FaultInjection: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        /// The rank throws an error, as bad data on one rank would.
        case `throw`
        /// The rank's process is killed with SIGKILL (under MPI; simulated ranks share one process).
        case kill
        /// The rank stops making progress without dying (a deadlock): only a timeout can end the run.
        case hang
    }

    public let kind: Kind
    public let rank: Int
    public let step: Int

    /// Parses `KIND:RANK:STEP`, e.g. `throw:1:3`.
    public init?(_ text: String) {
        let parts = text.split(separator: ":")
        guard parts.count == 3, let kind = Kind(rawValue: String(parts[0])),
              let rank = Int(parts[1]), let step = Int(parts[2]), rank >= 0, step >= 1 else { return nil }
        self.kind = kind
        self.rank = rank
        self.step = step
    }

    func trigger(rank: Int, afterStep step: Int) throws {
        guard rank == self.rank, step == self.step else { return }
        switch kind {
        case .throw: throw TrainingError("injected fault after step \(step)")
        case .kill: kill(getpid(), SIGKILL)
        case .hang: while true { sleep(3600) }
        }
    }
}
