import Foundation
import Testing
@testable import Distributed

/// A rank whose thread cannot start (issue 11, defect 7: `--ranks 1024` under a memory limit once hung
/// forever) fails the world with a reason, and the ranks already running are released.
@Suite("SimulatedWorld: thread start failure")
struct SimulatedWorldTests {
    @Test("a stack no system can map: the world fails with the rank and pthread_create's reason, nothing hangs")
    func threadCannotStart() {
        do {
            _ = try SimulatedWorld.run(ranks: 3, stackSize: 1 << 50) { comm in
                try comm.barrier()
                return comm.rank
            }
            Issue.record("a world with an unmappable stack ran")
        } catch let failure as WorldFailure {
            #expect(failure.rank == 0)
            #expect(failure.reason.hasPrefix("cannot start its thread (pthread_create: "), "\(failure)")
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }
}
