import Foundation
import Distributed
import DistributedMPI

/// The one place that picks a communicator from the environment: MPI when mpirun (or srun) started
/// this process, `ranks` threads when asked (simulated ranks), else a world of one. Runs `body` on
/// every rank and returns rank 0's result (nil on the other ranks).
///
/// Under MPI a failing rank aborts the whole job (`MPI_Abort`), after printing one line that names
/// the rank and the cause, so that no other rank waits for it forever.
///
/// ```swift
/// let summary = try World.run(ranks: World.isMPILaunch ? nil : 4) { comm in
///     try train(on: comm)      // the same program under mpirun, or as 4 threads here
/// }
/// ```
public enum World {
    /// Whether mpirun (or srun) started this process.
    public static var isMPILaunch: Bool { MPIRuntime.isLaunchedByMPI }

    /// Runs `body` on every rank. `precheck` sees the world size first, on every rank alike: an error
    /// it throws is the same everywhere (more ranks than the batch has micro-batches), so under MPI
    /// the job ends normally with rank 0 alone reporting it, instead of an abort banner per rank.
    public static func run<R: Sendable>(ranks: Int?, precheck: (Int) throws -> Void = { _ in },
                                        _ body: @escaping @Sendable (Communicator) throws -> R) throws -> R? {
        if isMPILaunch {
            let comm = try MPIRuntime.start()
            do {
                try precheck(comm.worldSize)
            } catch {
                try MPIRuntime.finish()
                if comm.rank == 0 { throw error }
                throw SilentFailure()
            }
            let result: R
            do {
                result = try body(comm)
            } catch let interrupted as RunInterrupted {
                // Every rank agreed to stop after the same step: a clean end, not a failure.
                try MPIRuntime.finish()
                throw interrupted
            } catch {
                if comm.worldSize == 1 { try? MPIRuntime.finish(); throw error }
                MPIRuntime.abort(reason: "rank \(comm.rank) of \(comm.worldSize): \(error)")
            }
            try MPIRuntime.finish()
            return comm.rank == 0 ? result : nil
        }
        try precheck(ranks ?? 1)
        if let ranks, ranks > 1 {
            return try SimulatedWorld.run(ranks: ranks) { try body($0) }.first
        }
        return try body(LocalCommunicator())
    }
}

/// A failure that rank 0 reports for every rank: the others exit non-zero without a word.
public struct SilentFailure: Error {}

