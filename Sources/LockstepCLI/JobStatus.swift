import Foundation
import ArgumentParser
import DistributedMPI

/// The exit statuses by which the ranks of an mpirun job tell `lockstep launch` how it ended, beside
/// 0 and the stop statuses 130/143.
///
/// An error that reaches `Lockstep.main` under a launcher is one every rank met alike — a bad command
/// line or config, data that cannot be read, more ranks than micro-batches — because an error only
/// some ranks see ends the job through `MPI_Abort` (`World.run`) and never gets here. Such an error
/// exits with `sharedError` (or ArgumentParser's `usage`), which `launch` reports and does not retry:
/// a restart on fewer ranks would fail the same way.
///
/// ```swift
/// let status = JobStatus.status(for: TrainingError("no such file"), underLauncher: true)   // 78
/// ```
enum JobStatus {
    /// EX_CONFIG of sysexits.h: an error every rank sees alike.
    static let sharedError: Int32 = 78
    /// EX_USAGE, what ArgumentParser gives a `ValidationError`.
    static let usage: Int32 = 64

    /// The status a process exits with for `error`: ArgumentParser's, except that under a launcher
    /// a plain failure (1) becomes `sharedError`. A deliberate exit (`ExitCode`: 130/143 after a stop)
    /// keeps its status.
    static func status(for error: Error, underLauncher: Bool) -> Int32 {
        let code = Lockstep.exitCode(for: error).rawValue
        guard underLauncher, code == EXIT_FAILURE, !(error is ExitCode) else { return code }
        return sharedError
    }
}
