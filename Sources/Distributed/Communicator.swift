/// The processes that train together. Each rank holds a full replica; collectives combine their
/// buffers. Implementations: `LocalCommunicator` (one process), simulated ranks (threads) and MPI.
///
/// ```swift
/// try comm.allReduceSum(gradients)   // every rank ends with the same sum
/// ```
public protocol Communicator: AnyObject {
    var rank: Int { get }
    var worldSize: Int { get }
    /// Sums `buffer` across ranks in place; every rank ends with the same bits.
    func allReduceSum(_ buffer: UnsafeMutableBufferPointer<Float>) throws
    /// Copies `root`'s buffer into every rank's.
    func broadcast(_ buffer: UnsafeMutableBufferPointer<Float>, root: Int) throws
    /// Waits until every rank has arrived.
    func barrier() throws
}

/// A world of one: every collective is the identity.
public final class LocalCommunicator: Communicator {
    public init() {}
    public var rank: Int { 0 }
    public var worldSize: Int { 1 }
    public func allReduceSum(_ buffer: UnsafeMutableBufferPointer<Float>) throws {}
    public func broadcast(_ buffer: UnsafeMutableBufferPointer<Float>, root: Int) throws {}
    public func barrier() throws {}
}
