import Foundation
import Synchronization
import DistributedMPI

/// Ends the process when training stops making progress, as PyTorch's collective timeouts do: a rank
/// that stays alive but never reaches the next collective (a hang, a deadlock) would otherwise keep
/// every other rank waiting forever. Under MPI the abort ends every rank (`MPI_Abort`). After the run,
/// it also bounds `MPI_Finalize` (`watchFinalize`): a frozen daemon must not keep a finished run there.
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

    /// The run is over, but MPI is still to be finalized: the clock starts again, and from here the
    /// watchdog only bounds `MPI_Finalize` (which waits for every process of the job, and forever for
    /// one that is frozen). A finalize that outlasts the timeout ends this process with one line.
    func watchFinalize() {
        beat()
        stopped.store(true, ordering: .relaxed)
        finalizeOnly.store(true, ordering: .relaxed)
    }

    private let finalizeOnly = Atomic<Bool>(false)

    private func watch() {
        while !stopped.load(ordering: .relaxed) || finalizeOnly.load(ordering: .relaxed) {
            Thread.sleep(forTimeInterval: min(1, timeout / 4))
            let idle = Double(DispatchTime.now().uptimeNanoseconds - lastBeat.load(ordering: .relaxed)) / 1e9
            if idle > timeout && MPIRuntime.isFinalizing {
                MPIRuntime.abandonFinalize(reason: "rank \(rank): MPI_Finalize has not returned \(Int(idle)) s after the run ended (limit --timeout \(Int(timeout)) s); a process of the job (a launcher's daemon?) may be frozen; the run's outputs were written before")
            }
            if idle > timeout && !stopped.load(ordering: .relaxed) {
                MPIRuntime.abort(reason: "rank \(rank): no training progress for \(Int(idle)) s (limit --timeout \(Int(timeout)) s); a rank may be hung or a collective stuck")
            }
        }
    }
}
