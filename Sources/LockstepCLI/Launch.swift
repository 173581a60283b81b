import Foundation
import ArgumentParser
import Training

/// `lockstep launch --np 4 --max-restarts 1 -- train --config …`: runs the command under mpirun and,
/// when the job fails (a rank died, a node was lost), starts it again from the newest checkpoint on
/// one rank fewer — torchrun's `--max-restarts`, with the difference that the world-size invariance of
/// the deterministic reduction makes the final model equal that of an uninterrupted run.
///
/// Each restart hands the child its number and the failure that caused it (recorded in metrics.jsonl
/// and summary.json as segments). An injected fault (`--inject-fault`, for tests) fires in the first
/// segment only. SIGINT/SIGTERM to launch are passed on to mpirun and stop the job without a restart
/// (the ranks checkpoint and stop); so does a stop the ranks report themselves (a SIGTERM sent to them
/// directly), and an error every rank sees (a bad config) is reported once, not retried.
struct Launch: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a lockstep command under mpirun, restarting it on fewer ranks when a rank fails.")

    @Option(name: .customLong("np"), help: "MPI processes to start with.")
    var processes: Int

    @Option(help: "Restarts after a failure before giving up.")
    var maxRestarts = 0

    @Option(help: "The fewest ranks a restarted job may have.")
    var minRanks = 1

    @Argument(parsing: .captureForPassthrough, help: "The lockstep command to run on every rank, e.g. `train --config run.yaml`.")
    var command: [String]

    func validate() throws {
        guard processes >= 1 else { throw ValidationError("--np must be at least 1, got \(processes)") }
        guard maxRestarts >= 0, minRanks >= 1 else {
            throw ValidationError("--max-restarts must be at least 0 and --min-ranks at least 1, got \(maxRestarts) and \(minRanks)")
        }
        guard minRanks <= processes else { throw ValidationError("--min-ranks \(minRanks) is more than --np \(processes)") }
        let words = command.first == "--" ? Array(command.dropFirst()) : command
        guard words.first == "train" else {
            throw ValidationError("lockstep launch runs `train` (restarts resume a training run), got '\(words.first ?? "")'")
        }
        guard !words.contains("--ranks") else { throw ValidationError("--ranks and launch exclude each other: the world size is --np") }
    }

    func run() throws {
        StopSignal.install()
        let words = command.first == "--" ? Array(command.dropFirst()) : command
        let end: JobEnd
        do {
            end = try RestartSupervisor(maxRestarts: maxRestarts, minRanks: minRanks).run(ranks: processes) { attempt in
                // A stop that came between two attempts ends the job here, before mpirun starts again.
                if let signal = StopSignal.requested() { return JobEnd.stopped(128 + signal) }
                var arguments = words
                if attempt.restart.number > 0 {
                    // The injected failure happened; the restart resumes without it.
                    arguments = Self.removingFaultInjection(words) + ["--resume", "--restart-number", String(attempt.restart.number)]
                    if let cause = attempt.restart.cause { arguments += ["--restart-cause", cause] }
                }
                let outcome = try MPILauncher.runPassingThrough(ranks: attempt.ranks, arguments: arguments)
                return try JobEnd(outcome)
            }
        } catch let failed as JobFailed {
            // The job's ranks have said why; the exit status says how.
            throw ExitCode(StopSignal.requested().map { 128 + $0 } ?? failed.outcome.status)
        }
        switch end {
        case .finished: return
        case .stopped(let status), .refused(let status): throw ExitCode(status)   // the ranks have said so
        }
    }

    /// How a job ended that is not restarted: finished; stopped on purpose (every rank checkpointed
    /// and exited 130/143: docs/mpi.md, "Stopping on purpose"); or refused by every rank alike (a bad
    /// config or command line, `JobStatus.sharedError`), which would fail the same way on any number
    /// of ranks. Anything else is a failure (`JobFailed`) and restarts.
    enum JobEnd {
        case finished
        case stopped(Int32)
        case refused(Int32)

        init(_ outcome: MPILauncher.Outcome) throws {
            switch outcome.status {
            case 0: self = .finished
            case _ where outcome.cause == nil && outcome.stopSignal != nil: self = .stopped(128 + outcome.stopSignal!)
            case JobStatus.sharedError, JobStatus.usage: self = .refused(outcome.status)
            default: throw JobFailed(outcome: outcome)
            }
        }
    }

    /// A job that ended with a non-zero status, described by the cause its output named.
    struct JobFailed: Error, CustomStringConvertible {
        let outcome: MPILauncher.Outcome
        var description: String { outcome.cause ?? "mpirun exited with status \(outcome.status)" }
    }

    static func removingFaultInjection(_ words: [String]) -> [String] {
        var out: [String] = []
        var skipNext = false
        for word in words {
            if skipNext { skipNext = false; continue }
            if word == "--inject-fault" { skipNext = true; continue }
            if word.hasPrefix("--inject-fault=") { continue }
            out.append(word)
        }
        return out
    }
}
