import Foundation

/// One background thread that runs a rank's collectives in the order they were submitted, so that
/// gradient buckets can be reduced while backward goes on (`GradientSynchronizer`).
///
/// Jobs should use the communicator's `forCommunicationThread()` form, which waits for peers by
/// sleeping rather than spinning a core the rank's compute needs.
///
/// Only one thread of a rank talks to the communicator at a time: while jobs are pending the rank's
/// own thread makes no communicator call, and `wait()` hands the communicator back. Under MPI this is
/// the `MPI_THREAD_SERIALIZED` promise `MPIRuntime` initialises with (and its call lock enforces);
/// `MPI_THREAD_MULTIPLE` is not needed.
///
/// A job that throws fails the queue: the jobs after it are dropped, and `wait()` rethrows the error
/// (the rank then fails, which releases its peers: `SimulatedWorld` wakes them, `mpirun` ends them).
/// `wait()` returns only once no job is running, so no job outlives the buffers it was given.
///
/// ```swift
/// let thread = CommunicationThread(name: "rank-0-comm")
/// thread.submit { try allReduce.sum(bucket, over: comm) }
/// try thread.wait()                     // every job done, or the first error
/// thread.stop()
/// ```
public final class CommunicationThread: @unchecked Sendable {
    // Guarded by `condition`'s lock.
    private let condition = NSCondition()
    private var jobs: [() throws -> Void] = []
    private var next = 0
    private var completed = 0                 // jobs finished since the last `wait()`
    private var busy = false
    private var failure: Error?
    private var stopping = false
    private var exited = false

    /// Starts the thread. It keeps this object alive until `stop()`.
    public init(name: String) {
        let thread = Thread { self.run() }
        thread.name = name
        thread.stackSize = 1 << 20
        thread.start()
    }

    /// Queues `job` after the ones already submitted.
    public func submit(_ job: @escaping () throws -> Void) {
        condition.lock()
        if failure == nil { jobs.append(job) }
        condition.signal()
        condition.unlock()
    }

    /// Blocks until the first `count` jobs submitted since the last `wait()` have run (so that the
    /// caller may use what they produced while later ones still run); throws the queue's error, if
    /// any, without clearing it.
    public func wait(forFirst count: Int) throws {
        condition.lock()
        defer { condition.unlock() }
        while completed < count && failure == nil { condition.wait() }
        if let failure { throw failure }
    }

    /// Blocks until every submitted job has run, then rethrows the first job's error, if any (once:
    /// the queue is usable again afterwards).
    public func wait() throws {
        condition.lock()
        while next < jobs.count || busy { condition.wait() }
        jobs.removeAll(keepingCapacity: true)
        next = 0
        completed = 0
        let error = failure
        failure = nil
        condition.unlock()
        if let error { throw error }
    }

    /// Ends the thread after the jobs already submitted, and waits for it (the owner's `deinit` calls it).
    public func stop() {
        condition.lock()
        stopping = true
        condition.broadcast()
        while !exited { condition.wait() }
        condition.unlock()
    }

    private func run() {
        // This thread sleeps between polls and on a modelled network: wake it on time.
        _ = TimerSlack.setForCurrentThread(nanoseconds: 1)
        condition.lock()
        while true {
            while next == jobs.count && !stopping { condition.wait() }
            if next == jobs.count && stopping { break }
            let job = jobs[next]
            next += 1
            busy = true
            condition.unlock()
            var thrown: Error?
            do { try job() } catch { thrown = error }
            condition.lock()
            busy = false
            completed += 1
            if let thrown {
                failure = thrown
                next = jobs.count          // the rest would talk to a world that is failing
            }
            condition.broadcast()
        }
        exited = true
        condition.broadcast()
        condition.unlock()
    }
}
