#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A communicator that makes its transfers as slow as a given network (`NetworkModel`), so that ranks
/// on one machine — threads of a `SimulatedWorld` or MPI processes on loopback — behave like nodes
/// joined by that network. Every call runs the real transfer on `inner`, then sleeps for whatever is
/// left of the modelled time, so a transfer takes `max(real, modelled)`:
///
/// - `sendReceive` of `s` floats out and `r` in: `α + 4·max(s, r)/β` (links are full duplex, so
///   sending and receiving overlap). The deterministic allreduce is made of these, so it is charged
///   message by message, exactly as its algorithm would pay on the network.
/// - `allReduceSum` of `b` bytes on W ranks: the ring algorithm's `2(W−1)·α + 2(W−1)/W · b/β`
///   (the bandwidth-optimal algorithm MPI libraries use for large buffers).
/// - `broadcast` of `b` bytes: a binomial tree, `⌈lg W⌉ · (α + b/β)`; `barrier`: `⌈lg W⌉ · α`.
///
/// The model charges time, not CPU: the rank sleeps (it does not spin), so the core is free for other
/// threads while it waits, as it would be while a NIC moves the bytes. It does not model contention
/// (every pair of ranks gets a full link). A sleep overshoots by the wake-up latency: the initialiser
/// lowers the calling thread's timer slack from Linux's default 50 µs to 1 ns (`timerSlackLowered`),
/// which leaves ~15–20 µs on this machine's VM; that matters only for messages of a few KB. The bits
/// are the inner communicator's.
///
/// ```swift
/// let shaped = ShapedCommunicator(comm, network: try NetworkModel(parsing: "10gbit"))
/// try DeterministicAllReduce().sum(gradients, over: shaped)   // same bits, 10 Gbit/s timing
/// ```
public final class ShapedCommunicator: Communicator {
    public let inner: Communicator
    public let network: NetworkModel

    /// Whether the creating thread's timer slack was lowered (see the type's note); create the shaped
    /// communicator on the thread that uses it (a rank's thread), as `SimulatedWorld` and mpirun do.
    public let timerSlackLowered: Bool

    public init(_ inner: Communicator, network: NetworkModel) {
        self.inner = inner
        self.network = network
        timerSlackLowered = TimerSlack.setForCurrentThread(nanoseconds: 1)
    }

    /// `ShapedCommunicator(inner, latency:, bandwidth:)` with latency in seconds and bandwidth in bytes/s.
    public convenience init(_ inner: Communicator, latency: Double, bandwidth: Double) throws {
        self.init(inner, network: try NetworkModel(latencyMicroseconds: latency * 1e6, gigabitsPerSecond: bandwidth * 8 / 1e9))
    }

    public var rank: Int { inner.rank }
    public var worldSize: Int { inner.worldSize }

    /// The same network over the inner communicator's background form.
    public func forCommunicationThread() -> Communicator {
        ShapedCommunicator(inner.forCommunicationThread(), network: network)
    }

    public func allReduceSum(_ buffer: UnsafeMutableBufferPointer<Float>) throws {
        let w = Double(worldSize), bytes = Double(buffer.count * MemoryLayout<Float>.stride)
        let modelled = 2 * (w - 1) * network.latencySeconds + 2 * (w - 1) / w * bytes / network.bytesPerSecond
        try charging(modelled) { try inner.allReduceSum(buffer) }
    }

    public func broadcast(_ buffer: UnsafeMutableRawBufferPointer, root: Int) throws {
        let modelled = Double(Self.ceilLog2(worldSize)) * network.transferSeconds(bytes: buffer.count)
        try charging(modelled) { try inner.broadcast(buffer, root: root) }
    }

    public func sendReceive(send: UnsafeBufferPointer<Float>, to destination: Int,
                            receive: UnsafeMutableBufferPointer<Float>, from source: Int) throws {
        // Talking to oneself crosses no network.
        let modelled = destination == rank && source == rank
            ? 0 : network.transferSeconds(bytes: max(send.count, receive.count) * MemoryLayout<Float>.stride)
        guard worldSize > 1, modelled > 0 else {
            return try inner.sendReceive(send: send, to: destination, receive: receive, from: source)
        }
        // The inner communicator knows best how to wait out the modelled time (one sleep, not polls).
        try inner.sendReceive(send: send, to: destination, receive: receive, from: source,
                              notBefore: MonotonicClock.nanoseconds + UInt64(modelled * 1e9))
    }

    public func barrier() throws {
        try charging(Double(Self.ceilLog2(worldSize)) * network.latencySeconds) { try inner.barrier() }
    }

    /// Runs `transfer`, then sleeps until `seconds` have passed since it started (a world of one has
    /// no network and is never charged).
    private func charging(_ seconds: Double, _ transfer: () throws -> Void) throws {
        guard worldSize > 1, seconds > 0 else { return try transfer() }
        let deadline = MonotonicClock.nanoseconds + UInt64(seconds * 1e9)
        try transfer()
        MonotonicClock.sleep(until: deadline)
    }

    /// ⌈log₂ n⌉ for n ≥ 1: the rounds of a binomial tree over n ranks.
    static func ceilLog2(_ n: Int) -> Int {
        var rounds = 0, reach = 1
        while reach < n { reach *= 2; rounds += 1 }
        return rounds
    }
}

/// `prctl(PR_SET_TIMERSLACK, ns)`: how late the kernel may wake a sleeping thread, per thread.
enum TimerSlack {
    /// Returns false where it is unavailable (not Linux) or refused; sleeps are then only later.
    static func setForCurrentThread(nanoseconds: UInt) -> Bool {
#if os(Linux)
        // prctl is variadic, which Swift cannot call; on x86-64 and AArch64 Linux its integer arguments
        // travel in the same registers as a fixed five-argument call's, so call it through that type.
        typealias Prctl = @convention(c) (Int32, UInt, UInt, UInt, UInt) -> Int32
        guard let symbol = dlsym(nil, "prctl") else { return false }   // nil: RTLD_DEFAULT
        let prctl = unsafeBitCast(symbol, to: Prctl.self)
        let setTimerSlack: Int32 = 29   // PR_SET_TIMERSLACK
        return prctl(setTimerSlack, nanoseconds, 0, 0, 0) == 0
#else
        return false
#endif
    }
}
