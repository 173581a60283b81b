import Foundation
import Synchronization
import DistributedMPI

/// Ends the process when training stops making progress, as PyTorch's collective timeouts do: a rank
/// that stays alive but never reaches the next collective (a hang, a deadlock) would otherwise keep
/// every other rank waiting forever. Under MPI the abort ends every rank (`MPI_Abort`).
///
/// ```swift
/// let watchdog = Watchdog(timeout: 600, rank: comm.rank)
/// run.onProgress = watchdog.beat
/// ```
final class Watchdog: Sendable {
    let timeout: Double
    let rank: Int
    private let lastBeat = Atomic<UInt64>(DispatchTime.now().uptimeNanoseconds)
    private let stopped = Atomic<Bool>(false)

    init(timeout: Double, rank: Int) {
        self.timeout = timeout
        self.rank = rank
        let thread = Thread { [self] in watch() }
        thread.name = "watchdog"
        thread.start()
    }

    /// Records progress (a step, an evaluation, a checkpoint).
    func beat() {
        lastBeat.store(DispatchTime.now().uptimeNanoseconds, ordering: .relaxed)
    }

    /// Stops watching (the run is over).
    func stop() {
        stopped.store(true, ordering: .relaxed)
    }

    private func watch() {
        while !stopped.load(ordering: .relaxed) {
            Thread.sleep(forTimeInterval: min(1, timeout / 4))
            let idle = Double(DispatchTime.now().uptimeNanoseconds - lastBeat.load(ordering: .relaxed)) / 1e9
            if idle > timeout && !stopped.load(ordering: .relaxed) {
                MPIRuntime.abort(reason: "rank \(rank): no training progress for \(Int(idle)) s (limit --timeout \(Int(timeout)) s); a rank may be hung or a collective stuck")
            }
        }
    }
}
