import CMPI
import Foundation
import Synchronization

/// The one owner of `MPI_Init_thread` and `MPI_Finalize` in a process.
///
/// ```swift
/// if MPIRuntime.isLaunchedByMPI {
///     let comm = try MPIRuntime.start()      // MPI_Init_thread, errors return as codes
///     defer { try? MPIRuntime.finish() }     // MPI_Finalize (on success paths only; see below)
///     try train(comm)                        // on failure: comm.abort(reason:) ends every rank
/// }
/// ```
///
/// `start()` returns the same communicator when called again; `finish()` is a no-op when MPI is not
/// running. MPI cannot start again after `finish()` (the MPI standard forbids a second `MPI_Init`).
///
/// Every MPI call of `MPICommunicator` runs under one lock held here, so the process never makes two
/// MPI calls at once; MPI is initialised with `MPI_THREAD_SERIALIZED`, which is exactly that promise.
/// (In Open MPI, `SERIALIZED` costs the same as `FUNNELED`; only `MULTIPLE` adds locking.)
public enum MPIRuntime {
    /// True when this process was started by `mpirun`/`mpiexec` (Open MPI), `srun` with PMIx, or a
    /// PMI-1/2 launcher (MPICH, Slurm `--mpi=pmi2`). Reads the environment only; does not start MPI.
    /// A plain `lockstep train …` sees none of these variables and runs as a world of one.
    public static var isLaunchedByMPI: Bool {
        let environment = ProcessInfo.processInfo.environment
        return launcherVariables.contains { environment[$0] != nil }
    }

    /// The variables `isLaunchedByMPI` looks for.
    public static let launcherVariables = ["OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_SIZE", "PMI_RANK"]

    /// This process's rank as the launcher announced it in the environment (before, or without,
    /// starting MPI), or nil when no launcher did. Lets every rank but 0 stay silent about an error
    /// that all ranks see alike, such as a bad command line.
    public static var launcherRank: Int? {
        let environment = ProcessInfo.processInfo.environment
        for name in ["OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_RANK"] {
            if let text = environment[name], let rank = Int(text) { return rank }
        }
        return nil
    }

    /// Whether `start()` succeeded and `finish()` has not been called yet.
    public static var isRunning: Bool {
        state.withPhase { if case .running = $0 { return true } else { return false } }
    }

    /// Starts MPI (once) and returns the communicator of `MPI_COMM_WORLD`.
    ///
    /// Initialises with `MPI_Init_thread(MPI_THREAD_SERIALIZED)`, sets `MPI_ERRORS_RETURN` on
    /// `MPI_COMM_WORLD`, reads rank, size and processor name, and makes stdout line-buffered (a rank's
    /// stdout is a pipe to mpirun; without this, progress lines arrive in 4 KiB blocks).
    ///
    /// - Parameter maxElementsPerCall: the most elements one MPI call moves; longer buffers go in
    ///   chunks. MPI counts are `Int32`, hence the default; smaller values exist to test chunking.
    public static func start(maxElementsPerCall: Int = MPICommunicator.mpiCountLimit) throws -> MPICommunicator {
        precondition(maxElementsPerCall >= 1 && maxElementsPerCall <= MPICommunicator.mpiCountLimit,
                     "maxElementsPerCall must be in 1...Int32.max")
        state.callLock.lock()
        defer { state.callLock.unlock() }
        switch state.withPhase({ $0 }) {
        case .running(let communicator, _):
            return communicator
        case .finished:
            throw MPIError(call: "MPI_Init_thread",
                           message: "MPI was finalized in this process and cannot start again")
        case .notStarted:
            break
        }

        var alreadyInitialized: Int32 = 0
        try check(MPI_Initialized(&alreadyInitialized), "MPI_Initialized")
        let ownsMPI = alreadyInitialized == 0
        if ownsMPI {
            if isLaunchedByMPI { LauncherDeath.armParentDeathSignal() }   // no rank outlives its launcher
            var provided: Int32 = 0
            try check(MPI_Init_thread(nil, nil, cmpi_thread_serialized(), &provided), "MPI_Init_thread")
            guard provided >= cmpi_thread_serialized() else {
                _ = MPI_Finalize()
                state.withPhase { $0 = .finished }
                throw MPIError(call: "MPI_Init_thread", message:
                    "this MPI library provides thread level \(provided), Lockstep needs MPI_THREAD_SERIALIZED")
            }
        } else {
            // Initialised by the host program: its thread level must allow a communication thread.
            var provided: Int32 = 0
            try check(MPI_Query_thread(&provided), "MPI_Query_thread")
            guard provided >= cmpi_thread_serialized() else {
                throw MPIError(call: "MPI_Query_thread", message:
                    "MPI was initialised with thread level \(provided); Lockstep needs MPI_THREAD_SERIALIZED (a rank's communication thread makes MPI calls)")
            }
        }
        do {
            let world = cmpi_comm_world()
            try check(MPI_Comm_set_errhandler(world, cmpi_errors_return()), "MPI_Comm_set_errhandler")
            var rank: Int32 = 0, size: Int32 = 0
            try check(MPI_Comm_rank(world, &rank), "MPI_Comm_rank")
            try check(MPI_Comm_size(world, &size), "MPI_Comm_size")
            var name = [CChar](repeating: 0, count: Int(cmpi_max_processor_name()) + 1)
            var nameLength: Int32 = 0
            try check(MPI_Get_processor_name(&name, &nameLength), "MPI_Get_processor_name")
            let host = String(decoding: name.prefix(Int(nameLength)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
            _ = cmpi_line_buffer_stdout()
            let communicator = MPICommunicator(rank: Int(rank), worldSize: Int(size), processorName: host,
                                               maxElementsPerCall: maxElementsPerCall)
            state.withPhase { $0 = .running(communicator, ownsMPI: ownsMPI) }
            return communicator
        } catch {
            if ownsMPI { _ = MPI_Finalize() }
            state.withPhase { $0 = .finished }
            throw error
        }
    }

    /// Finalizes MPI (`MPI_Finalize`) if `start()` initialised it. Every rank must call it, after its
    /// last collective. Safe to call more than once and when MPI never started. Waits for an MPI call
    /// in progress on another thread.
    public static func finish() throws {
        state.callLock.lock()
        defer { state.callLock.unlock() }
        guard case .running(_, let ownsMPI) = state.withPhase({ $0 }) else { return }
        state.withPhase { $0 = .finished }
        guard ownsMPI else { return }
        finalizing.store(true, ordering: .relaxed)
        defer { finalizing.store(false, ordering: .relaxed) }
        try check(MPI_Finalize(), "MPI_Finalize")
    }

    /// Whether this process is inside `MPI_Finalize`. Finalize waits for every process of the job,
    /// the launcher's daemons included, so one that is frozen (stopped, a node that stopped answering)
    /// keeps a finished run there forever; a watchdog that sees this flag for too long calls
    /// `abandonFinalize`.
    public static var isFinalizing: Bool { finalizing.load(ordering: .relaxed) }

    private static let finalizing = Atomic<Bool>(false)

    /// Prints `error: <reason>` and ends this process at once (`_exit`), for a finalize that does not
    /// return: `MPI_Abort` would wait on the same frozen process, and `exit` runs the MPI library's
    /// exit handlers, which may wait on it too. Everything the run wrote was written before finalize.
    public static func abandonFinalize(reason: String, code: Int32 = 1) -> Never {
        fflush(nil)   // keep what this rank already printed
        FileHandle.standardError.write(Data("error: \(MPIError.oneLine(reason))\n".utf8))
        _exit(code)
    }

    /// Prints `error: <reason>` to stderr and ends every rank: `MPI_Abort(MPI_COMM_WORLD, code)` while
    /// MPI runs (mpirun then kills the other ranks), `exit(code)` otherwise. Does not wait for the
    /// call lock: another thread may be blocked in a collective that will never complete.
    /// Seconds `abort` gives `MPI_Abort` before the process ends itself.
    public static let abortGrace: UInt32 = 10

    public static func abort(reason: String, code: Int32 = 1) -> Never {
        fflush(nil)   // keep what this rank already printed
        FileHandle.standardError.write(Data("error: \(MPIError.oneLine(reason))\n".utf8))
        if case .running = state.withPhase({ $0 }) {
            // MPI_Abort asks this rank's daemon to end the job; a daemon cut off from its mpirun (a
            // host whose link is down) may never answer. SIGALRM's default action ends the process
            // then, so that a rank never outlives its abort by more than `abortGrace` seconds.
            alarm(Self.abortGrace)
            _ = MPI_Abort(cmpi_comm_world(), code)
        }
        exit(code)    // MPI_Abort does not return; this is for a world without MPI
    }

    /// Runs `body` (which makes MPI calls) under the call lock, after checking that MPI is running.
    static func serialized<T>(_ call: String, _ body: () throws -> T) throws -> T {
        state.callLock.lock()
        defer { state.callLock.unlock() }
        guard case .running = state.withPhase({ $0 }) else {
            throw MPIError(call: call, message: "MPI is not running (MPIRuntime.start() was not called, or finish() was)")
        }
        return try body()
    }

    enum Phase {
        case notStarted
        case running(MPICommunicator, ownsMPI: Bool)
        case finished
    }

    /// `phase` is guarded by `phaseLock`; `callLock` serialises MPI calls (start, finish and every
    /// communicator call). Two locks so that `abort` can read the phase while a thread sits in a
    /// blocked collective holding `callLock`. Lock order: `callLock`, then `phaseLock`.
    final class State: @unchecked Sendable {   // safe: every mutable field is guarded by a lock
        let callLock = NSLock()
        private let phaseLock = NSLock()
        private var phase = Phase.notStarted

        func withPhase<T>(_ body: (inout Phase) throws -> T) rethrows -> T {
            phaseLock.lock()
            defer { phaseLock.unlock() }
            return try body(&phase)
        }
    }

    static let state = State()
}
