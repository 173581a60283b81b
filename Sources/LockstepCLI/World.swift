import Foundation
import Distributed
import DistributedMPI

/// Whether this process was started by mpirun (or srun), read from the launcher's environment.
enum MPILaunch {
    static var isActive: Bool {
        let env = ProcessInfo.processInfo.environment
        return ["OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_SIZE"].contains { env[$0] != nil }
    }
}

/// The one place that picks a communicator: MPI under mpirun, threads for `--ranks N`, else a world
/// of one. Runs `body` on every rank and returns rank 0's result (nil on other ranks).
enum World {
    static func run<R: Sendable>(ranks: Int?, _ body: @escaping @Sendable (Communicator) throws -> R) throws -> R? {
        if let ranks, ranks > 1 {
            return try SimulatedWorld.run(ranks: ranks) { try body($0) }.first
        }
        return try body(LocalCommunicator())
    }
}
