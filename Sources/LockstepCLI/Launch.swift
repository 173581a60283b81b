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
///
/// With `--hostfile` the job spans hosts: a failure leaves out the hosts that are gone (`LaunchHosts`)
/// and restarts on the rest. No attempt waits forever: mpirun that has not ended `--kill-after` s after
/// a failure, or after a host stopped answering for `--host-lost-after` s, is killed (`JobGuard`).
///
/// ```bash
/// lockstep launch --hostfile hosts.txt --max-restarts 1 --mpirun-arg=--mca --mpirun-arg btl_tcp_if_include \
///     --mpirun-arg eth0 -- train --config run.yaml --out runs/x
/// ```
struct Launch: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a lockstep command under mpirun, restarting it on fewer ranks when a rank fails.")

    @Option(name: .customLong("np"), help: "MPI processes to start with (default with --hostfile: its slots).")
    var processes: Int?

    @Option(help: "An Open MPI hostfile: run across its hosts, and restart without the ones that are lost.")
    var hostfile: String?

    @Option(name: .customLong("mpirun-arg"), parsing: .unconditionalSingleValue,
            help: "An option passed to mpirun as it is (repeat it: --mpirun-arg=--mca --mpirun-arg btl …).")
    var mpirunArguments: [String] = []

    @Option(help: "Seconds mpirun may take to end after a failure (a rank's abort, a lost host) before its process group is killed.")
    var killAfter: Double = 30

    @Option(help: "Seconds a host of --hostfile may not answer (probed through mpirun's rsh agent) before it counts as lost.")
    var hostLostAfter: Double = 20

    @Option(help: "Restarts after a failure before giving up.")
    var maxRestarts = 0

    @Option(help: "The fewest ranks a restarted job may have.")
    var minRanks = 1

    @Argument(parsing: .captureForPassthrough, help: "The lockstep command to run on every rank, e.g. `train --config run.yaml`.")
    var command: [String]

    func validate() throws {
        // With a hostfile, the ranks default to its slots and may not exceed them unless asked to.
        var slots: Int?
        if let hostfile {
            do { slots = try Hostfile(contentsOf: hostfile).slots } catch { throw ValidationError("\(error)") }
        }
        guard let processes = processes ?? slots else { throw ValidationError("--np is required without --hostfile") }
        guard processes >= 1 else { throw ValidationError("--np must be at least 1, got \(processes)") }
        if let slots, let hostfile, processes > slots, !mpirunArguments.contains("--oversubscribe") {
            throw ValidationError("--np \(processes) is more than the \(slots) slots of \(hostfile) (add --mpirun-arg=--oversubscribe to run more)")
        }
        guard killAfter > 0, killAfter.isFinite, hostLostAfter > 0, hostLostAfter.isFinite else {
            throw ValidationError("--kill-after and --host-lost-after must be positive numbers of seconds, got \(killAfter) and \(hostLostAfter)")
        }
        guard maxRestarts >= 0, minRanks >= 1 else {
            throw ValidationError("--max-restarts must be at least 0 and --min-ranks at least 1, got \(maxRestarts) and \(minRanks)")
        }
        guard minRanks <= processes else { throw ValidationError("--min-ranks \(minRanks) is more than --np \(processes)") }
        guard !mpirunArguments.contains(where: { ["-np", "-n", "--np", "--hostfile", "-hostfile", "--machinefile"].contains($0) }) else {
            throw ValidationError("--mpirun-arg cannot set the ranks or the hostfile: use launch's --np and --hostfile")
        }
        let words = command.first == "--" ? Array(command.dropFirst()) : command
        guard words.first == "train" else {
            throw ValidationError("lockstep launch runs `train` (restarts resume a training run), got '\(words.first ?? "")'")
        }
        guard !words.contains("--ranks") else { throw ValidationError("--ranks and launch exclude each other: the world size is --np") }
    }

    func run() throws {
        StopSignal.install()
        let words = command.first == "--" ? Array(command.dropFirst()) : command
        var hosts = try hostfile.map { try LaunchHosts(hostfile: $0, mpirunArguments: mpirunArguments) }
        defer { hosts?.cleanUp() }
        let ranks = processes ?? hosts?.current.slots ?? 1
        let end: JobEnd
        do {
            end = try RestartSupervisor(maxRestarts: maxRestarts, minRanks: minRanks).run(ranks: ranks) { attempt in
                // A stop that came between two attempts ends the job here, before mpirun starts again.
                if let signal = StopSignal.requested() { return JobEnd.stopped(128 + signal) }
                var arguments = words
                if attempt.restart.number > 0 {
                    // The injected failure happened; the restart resumes without it.
                    arguments = Self.removingFaultInjection(words) + ["--resume", "--restart-number", String(attempt.restart.number)]
                    if let cause = attempt.restart.cause { arguments += ["--restart-cause", cause] }
                }
                let guardian = JobGuard(killAfter: killAfter, watching: hosts?.names ?? [], probe: hosts?.probe, lostAfter: hostLostAfter)
                let outcome = try MPILauncher.runPassingThrough(ranks: attempt.ranks, arguments: arguments,
                                                                mpirunArguments: (hosts?.mpirunArguments ?? []) + mpirunArguments,
                                                                guardian: guardian)
                do {
                    return try JobEnd(outcome, guardian: guardian)
                } catch var failed as JobFailed {
                    // Hosts that are gone are left out; the restart runs on the slots of the rest.
                    if var shrinking = hosts {
                        failed.hostsLost = try shrinking.leaveOut(failed: outcome, guardian: guardian)
                        hosts = shrinking
                        if !failed.hostsLost.isEmpty { failed.ranksLeft = min(attempt.ranks - 1, shrinking.current.slots) }
                    }
                    throw failed
                }
            }
        } catch let failed as JobFailed {
            // The job's ranks have said why; the exit status says how.
            throw ExitCode(StopSignal.requested().map { 128 + $0 } ?? (failed.outcome.status == 0 ? 1 : failed.outcome.status))
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

        init(_ outcome: MPILauncher.Outcome, guardian: JobGuard) throws {
            // A job the guard ended (a lost host, mpirun outliving a failure) failed, whatever it printed.
            if guardian.killed || !guardian.lost.isEmpty { throw JobFailed(outcome: outcome, guardian: guardian) }
            switch outcome.status {
            case 0: self = .finished
            case _ where outcome.cause == nil && outcome.stopSignal != nil: self = .stopped(128 + outcome.stopSignal!)
            case JobStatus.sharedError, JobStatus.usage: self = .refused(outcome.status)
            default: throw JobFailed(outcome: outcome, guardian: guardian)
            }
        }
    }

    /// A job that ended with a non-zero status, described by the cause its output named (a lost
    /// host's before any rank's, which only follows from it), and the hosts it lost.
    struct JobFailed: FailureLeavingRanks, CustomStringConvertible {
        let outcome: MPILauncher.Outcome
        let lostWhileRunning: [String]
        var hostsLost: [String] = []
        var ranksLeft: Int?

        init(outcome: MPILauncher.Outcome, guardian: JobGuard) {
            self.outcome = outcome
            lostWhileRunning = guardian.lost.sorted()
        }

        var description: String {
            let cause = lostWhileRunning.first.map { "host \($0) stopped answering" }
                ?? outcome.cause ?? "mpirun exited with status \(outcome.status)"
            return hostsLost.isEmpty ? cause : "\(cause) (lost: \(hostsLost.joined(separator: ", ")))"
        }
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
