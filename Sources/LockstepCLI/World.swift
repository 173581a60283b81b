import Foundation
import Distributed
import DistributedMPI
import Training

/// The one place that picks a communicator: MPI when mpirun (or srun) started this process, threads
/// for `--ranks N`, else a world of one. Runs `body` on every rank and returns rank 0's result (nil
/// on the other ranks).
///
/// Under MPI a failing rank aborts the whole job (`MPI_Abort`), after printing one line that names
/// the rank and the cause, so that no other rank waits for it forever.
enum World {
    static var isMPILaunch: Bool { MPIRuntime.isLaunchedByMPI }

    static func run<R: Sendable>(ranks: Int?, _ body: @escaping @Sendable (Communicator) throws -> R) throws -> R? {
        if isMPILaunch {
            let comm = try MPIRuntime.start()
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
        if let ranks, ranks > 1 {
            return try SimulatedWorld.run(ranks: ranks) { try body($0) }.first
        }
        return try body(LocalCommunicator())
    }
}
