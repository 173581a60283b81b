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
/// segment only. SIGINT/SIGTERM stop the job without a restart (the ranks checkpoint and stop).
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
        do {
            try RestartSupervisor(maxRestarts: maxRestarts, minRanks: minRanks).run(ranks: processes) { attempt in
                var arguments = words
                if attempt.restart.number > 0 {
                    // The injected failure happened; the restart resumes without it.
                    arguments = Self.removingFaultInjection(words) + ["--resume", "--restart-number", String(attempt.restart.number)]
                    if let cause = attempt.restart.cause { arguments += ["--restart-cause", cause] }
                }
                let outcome = try MPILauncher.runPassingThrough(ranks: attempt.ranks, arguments: arguments)
                if outcome.status != 0 { throw JobFailed(outcome: outcome) }
            }
        } catch let failed as JobFailed {
            // The job's ranks have said why; the exit status says how.
            throw ExitCode(StopSignal.requested().map { 128 + $0 } ?? failed.outcome.status)
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
