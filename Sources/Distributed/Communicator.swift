/// The processes that train together. Each rank holds a full replica; collectives combine their
/// buffers. Implementations: `LocalCommunicator` (a world of one), `SimulatedWorld` ranks (threads of
/// one process, for tests and `--ranks N`) and `MPICommunicator` (processes under `mpirun`).
///
/// The deterministic allreduce of the contract is written once, over `sendReceive`, so that every
/// backend runs the same arithmetic (`DeterministicAllReduce`).
///
/// ```swift
/// try comm.allReduceSum(gradients)   // every rank ends with the sum
/// ```
public protocol Communicator: AnyObject {
    var rank: Int { get }
    var worldSize: Int { get }

    /// Sums `buffer` across ranks in place with the backend's own algorithm (for MPI, `MPI_Allreduce`):
    /// fast, but the order of additions is the library's, so results agree only to rounding.
    func allReduceSum(_ buffer: UnsafeMutableBufferPointer<Float>) throws

    /// Copies `root`'s bytes into every rank's buffer (same byte count on every rank).
    func broadcast(_ buffer: UnsafeMutableRawBufferPointer, root: Int) throws

    /// Sends `send` to rank `destination` while receiving `receive.count` floats from rank `source`
    /// (`MPI_Sendrecv`). The building block of the deterministic collectives.
    func sendReceive(send: UnsafeBufferPointer<Float>, to destination: Int,
                     receive: UnsafeMutableBufferPointer<Float>, from source: Int) throws

    /// `sendReceive` that returns no sooner than `deadline` (`MonotonicClock.nanoseconds`): a transfer
    /// charged the time of a modelled network (`ShapedCommunicator`). The default transfers, then
    /// sleeps what is left. A backend that waits for its peer by polling (MPI's background form)
    /// sleeps through to the deadline instead of polling through it: every wake-up of a background
    /// thread costs the rank's GEMM on the same core about 24 µs (measured on this machine's VM).
    func sendReceive(send: UnsafeBufferPointer<Float>, to destination: Int,
                     receive: UnsafeMutableBufferPointer<Float>, from source: Int, notBefore deadline: UInt64) throws

    /// Waits until every rank has arrived.
    func barrier() throws

    /// The communicator a rank's background communication thread uses (`CommunicationThread`): the
    /// same ranks and bits, but where the backend would spin a core while waiting for a peer (MPI's
    /// blocking calls), it waits by sleeping, so that the rank's own compute keeps the core. The
    /// default is `self`.
    func forCommunicationThread() -> Communicator
}

extension Communicator {
    public func forCommunicationThread() -> Communicator { self }

    public func sendReceive(send: UnsafeBufferPointer<Float>, to destination: Int,
                            receive: UnsafeMutableBufferPointer<Float>, from source: Int, notBefore deadline: UInt64) throws {
        try sendReceive(send: send, to: destination, receive: receive, from: source)
        MonotonicClock.sleep(until: deadline)
    }
}

/// A world of one: every collective is the identity.
public final class LocalCommunicator: Communicator {
    public init() {}
    public var rank: Int { 0 }
    public var worldSize: Int { 1 }
    public func allReduceSum(_ buffer: UnsafeMutableBufferPointer<Float>) throws {}
    public func broadcast(_ buffer: UnsafeMutableRawBufferPointer, root: Int) throws {}
    public func sendReceive(send: UnsafeBufferPointer<Float>, to destination: Int,
                            receive: UnsafeMutableBufferPointer<Float>, from source: Int) throws {
        precondition(destination == 0 && source == 0 && send.count == receive.count, "a world of one talks only to itself")
        _ = receive.update(fromContentsOf: send)
    }
    public func barrier() throws {}
}
