import Foundation
import ArgumentParser
import Training
import DistributedMPI

/// `lockstep`: train, evaluate and benchmark data-parallel models whose results do not depend on how
/// many processes ran them.
@main
struct Lockstep: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lockstep",
        abstract: "Data-parallel training whose bits do not depend on the number of processes.", version: LockstepVersion.text,
        subcommands: [Train.self, Launch.self, Eval.self, Predict.self, Plot.self, Bench.self, Trace.self, Inspect.self, GradCheck.self, DataCommand.self, Sweep.self,
                      ConfigCommand.self])

    /// As `ParsableCommand.main`, except that under mpirun only rank 0 prints an error: every rank
    /// parses the same command line and loads the same config, so a mistake there would otherwise be
    /// printed once per rank; and such an error exits with `JobStatus.sharedError` there, so that
    /// `lockstep launch` does not retry it. Every error is printed on one line (`OneLine`).
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            let underLauncher = MPIRuntime.launcherRank != nil
            let status = JobStatus.status(for: error, underLauncher: underLauncher)
            if error is SilentFailure || (MPIRuntime.launcherRank ?? 0) != 0 {
                Foundation.exit(status)
            }
            guard status == JobStatus.sharedError else { exit(withError: OneLine.printable(error)) }
            // Rank 0 says it once, with the status that tells `lockstep launch` not to retry (JobStatus).
            FileHandle.standardError.write(Data((fullMessage(for: OneLine.printable(error)) + "\n").utf8))
            Foundation.exit(status)
        }
    }
}
