import Foundation

/// How gradients (and the statistics that ride with them) are summed across ranks.
public enum ReductionMode: String, Sendable, CaseIterable {
    /// The contract's tree (`DeterministicAllReduce`): the same bits for every world size.
    case deterministic
    /// The backend's own allreduce (`MPI_Allreduce`): faster, equal to the tree only up to rounding.
    case mpi
}

/// Sums a rank's flat partial gradient with every other rank's, once per optimizer step, and keeps
/// count of the time spent doing so.
///
/// Gradients already live in one flat buffer (`FlatParameters`), so they form a single bucket: no
/// packing copy is needed, and one collective per step carries them all.
///
/// ```swift
/// let reducer = GradientReducer(mode: .deterministic, communicator: comm)
/// try reducer.reduce(flat.gradients)            // Σ over ranks, in place
/// ```
public final class GradientReducer {
    public let mode: ReductionMode
    public let communicator: Communicator
    private let tree = DeterministicAllReduce()
    /// Seconds spent in collectives since creation.
    public private(set) var communicationSeconds = 0.0
    public private(set) var reductions = 0

    public init(mode: ReductionMode, communicator: Communicator) {
        self.mode = mode
        self.communicator = communicator
    }

    public func reduce(_ buffer: UnsafeMutableBufferPointer<Float>) throws {
        guard communicator.worldSize > 1 else { return }
        let start = DispatchTime.now().uptimeNanoseconds
        switch mode {
        case .deterministic: try tree.sum(buffer, over: communicator)
        case .mpi: try communicator.allReduceSum(buffer)
        }
        communicationSeconds += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        reductions += 1
    }
}
