import Foundation

/// The failure that ends a simulated world: which rank failed first and why. Every other rank's
/// pending or later collective throws it too, so no rank waits forever for a dead peer.
public struct WorldFailure: Error, CustomStringConvertible, Equatable {
    public let rank: Int
    public let reason: String
    public init(rank: Int, reason: String) {
        self.rank = rank
        self.reason = reason
    }
    public var description: String { "rank \(rank) failed: \(reason)" }
}

/// N ranks as threads of one process, each with its own `Communicator`: the same training code runs
/// as it would under `mpirun -np N`, deterministically and without MPI, for tests and `--ranks N`.
///
/// Collectives are rendezvous on one lock; point-to-point messages are copied through mailboxes.
/// If a rank's body throws, the world fails: every rank blocked in (or later entering) a collective
/// throws `WorldFailure`, and `run` rethrows the first failure.
///
/// ```swift
/// let sums = try SimulatedWorld.run(ranks: 4) { comm in
///     var x: [Float] = [Float(comm.rank)]
///     try x.withUnsafeMutableBufferPointer { try comm.allReduceSum($0) }
///     return x[0]                                  // 6 on every rank
/// }
/// ```
public final class SimulatedWorld: @unchecked Sendable {
    // All mutable state below is guarded by `condition`'s lock.
    private let condition = NSCondition()
    public let size: Int
    private var failure: WorldFailure?
    private var mailboxes: [Int: [[Float]]] = [:]          // key: source · size + destination
    private var arrived = 0
    private var generation = 0
    private var deposits: [UnsafeMutableRawBufferPointer?]
    private var collectiveResult: [UInt8] = []

    init(size: Int) {
        self.size = size
        deposits = Array(repeating: nil, count: size)
    }

    /// Runs `body` on `ranks` threads and returns their results in rank order, or throws the first
    /// rank's failure once every thread has finished. A thread that cannot be started (the process's
    /// thread or memory limit) fails the world like a rank that threw: the ranks already running are
    /// released from their collectives, and the error names the rank and the system's reason.
    public static func run<R>(ranks: Int, stackSize: Int = 16 << 20,
                              _ body: @escaping @Sendable (SimulatedCommunicator) throws -> R) throws -> [R] {
        precondition(ranks >= 1, "a world needs at least one rank")
        let world = SimulatedWorld(size: ranks)
        let results = ResultSlots<R>(count: ranks)
        let done = DispatchGroup()
        for rank in 0..<ranks {
            done.enter()
            let started = RankThread.start(name: "rank-\(rank)", stackSize: stackSize) {
                defer { done.leave() }
                let comm = SimulatedCommunicator(world: world, rank: rank)
                do {
                    results.set(rank, .success(try body(comm)))
                } catch {
                    world.fail(rank: rank, reason: "\(error)")
                    results.set(rank, .failure(error))
                }
            }
            if let reason = started {
                world.fail(rank: rank, reason: "cannot start its thread (\(reason))")
                done.leave()
                break
            }
        }
        done.wait()
        if let failure = world.currentFailure { throw failure }
        return try results.values()
    }

    var currentFailure: WorldFailure? {
        condition.lock(); defer { condition.unlock() }
        return failure
    }

    /// Marks the world failed (the first failure wins) and wakes every waiting rank.
    func fail(rank: Int, reason: String) {
        condition.lock()
        if failure == nil { failure = WorldFailure(rank: rank, reason: reason) }
        condition.broadcast()
        condition.unlock()
    }

    // MARK: Point to point

    func send(_ values: [Float], from source: Int, to destination: Int) throws {
        condition.lock(); defer { condition.unlock() }
        if let failure { throw failure }
        mailboxes[source * size + destination, default: []].append(values)
        condition.broadcast()
    }

    func receive(from source: Int, to destination: Int) throws -> [Float] {
        condition.lock(); defer { condition.unlock() }
        let key = source * size + destination
        while true {
            if let failure { throw failure }
            if var queue = mailboxes[key], !queue.isEmpty {
                let message = queue.removeFirst()
                mailboxes[key] = queue
                return message
            }
            condition.wait()
        }
    }

    // MARK: Collectives

    /// All ranks deposit a buffer; the last to arrive runs `combine` over all of them (in rank order)
    /// while the others wait; then everyone leaves together.
    func rendezvous(rank: Int, buffer: UnsafeMutableRawBufferPointer,
                    combine: ([UnsafeMutableRawBufferPointer]) -> Void) throws {
        condition.lock(); defer { condition.unlock() }
        if let failure { throw failure }
        let myGeneration = generation
        deposits[rank] = buffer
        arrived += 1
        if arrived == size {
            combine(deposits.map { $0! })
            deposits = Array(repeating: nil, count: size)
            arrived = 0
            generation += 1
            condition.broadcast()
            return
        }
        while generation == myGeneration {
            if let failure { throw failure }
            condition.wait()
        }
    }
}

/// One rank's view of a `SimulatedWorld`.
public final class SimulatedCommunicator: Communicator {
    let world: SimulatedWorld
    public let rank: Int
    public var worldSize: Int { world.size }

    init(world: SimulatedWorld, rank: Int) {
        self.world = world
        self.rank = rank
    }

    /// Sums in rank order, 0 + 1 + 2 + …: a fixed order, but not the contract's tree (that is
    /// `DeterministicAllReduce`); it stands in for `MPI_Allreduce`.
    public func allReduceSum(_ buffer: UnsafeMutableBufferPointer<Float>) throws {
        try world.rendezvous(rank: rank, buffer: UnsafeMutableRawBufferPointer(buffer)) { all in
            let n = buffer.count
            var total = [Float](repeating: 0, count: n)
            for b in all {
                precondition(b.count == n * 4, "allreduce of different lengths across ranks")
                let p = b.assumingMemoryBound(to: Float.self)
                for i in 0..<n { total[i] += p[i] }
            }
            for b in all { total.withUnsafeBytes { b.copyMemory(from: $0) } }
        }
    }

    public func broadcast(_ buffer: UnsafeMutableRawBufferPointer, root: Int) throws {
        precondition(root >= 0 && root < worldSize, "broadcast root \(root) outside 0..<\(worldSize)")
        try world.rendezvous(rank: rank, buffer: buffer) { all in
            for (r, b) in all.enumerated() where r != root {
                precondition(b.count == all[root].count, "broadcast of different lengths across ranks")
                b.copyMemory(from: UnsafeRawBufferPointer(all[root]))
            }
        }
    }

    public func sendReceive(send: UnsafeBufferPointer<Float>, to destination: Int,
                            receive: UnsafeMutableBufferPointer<Float>, from source: Int) throws {
        precondition(destination >= 0 && destination < worldSize && source >= 0 && source < worldSize,
                     "peer outside 0..<\(worldSize)")
        try world.send(Array(send), from: rank, to: destination)
        let message = try world.receive(from: source, to: rank)
        guard message.count == receive.count else {
            throw WorldFailure(rank: rank, reason: "received \(message.count) floats from rank \(source), expected \(receive.count)")
        }
        if !message.isEmpty { _ = receive.update(fromContentsOf: message) }
    }

    public func barrier() throws {
        try world.rendezvous(rank: rank, buffer: UnsafeMutableRawBufferPointer(start: nil, count: 0)) { _ in }
    }
}

/// Per-rank results filled by the rank threads.
private final class ResultSlots<R>: @unchecked Sendable {
    private let lock = NSLock()
    private var slots: [Result<R, Error>?]
    init(count: Int) { slots = Array(repeating: nil, count: count) }
    func set(_ rank: Int, _ value: Result<R, Error>) { lock.lock(); slots[rank] = value; lock.unlock() }
    func values() throws -> [R] { try slots.map { try $0!.get() } }
}

/// A rank's thread, started with `pthread_create` so that a failure to start is an error to report
/// (Foundation's `Thread.start()` has no way to say so, and a rank that never starts would leave the
/// others waiting for it forever).
private final class RankThread {
    let name: String
    let main: () -> Void

    private init(name: String, main: @escaping () -> Void) {
        self.name = name
        self.main = main
    }

    /// Starts `main` on a detached thread; nil on success, else the reason (`pthread_create: …`).
    static func start(name: String, stackSize: Int, _ main: @escaping () -> Void) -> String? {
        let box = Unmanaged.passRetained(RankThread(name: name, main: main)).toOpaque()
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        defer { pthread_attr_destroy(&attributes) }
        pthread_attr_setstacksize(&attributes, stackSize)
        pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
        var thread = pthread_t()
        let code = pthread_create(&thread, &attributes, { raw in
            let rank = Unmanaged<RankThread>.fromOpaque(raw!).takeRetainedValue()
            Thread.current.name = rank.name
            rank.main()
            return nil
        }, box)
        guard code == 0 else {
            Unmanaged<RankThread>.fromOpaque(box).release()
            return "pthread_create: \(String(cString: strerror(code)))"
        }
        return nil
    }
}
