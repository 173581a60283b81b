import Foundation

/// How gradients (and the statistics that ride with them) are summed across ranks.
public enum ReductionMode: String, Sendable, CaseIterable {
    /// The contract's tree (`DeterministicAllReduce`): the same bits for every world size.
    case deterministic
    /// The backend's own allreduce (`MPI_Allreduce`): faster, equal to the tree only up to rounding.
    case mpi
}

/// Sums the step's micro-batch gradients over all ranks, once per optimizer step, and keeps count of
/// the time spent doing so. Each rank brings the sums of its fragments of the canonical tree
/// (`BlockAccumulator`, or the gradient buffer itself when its block is one micro-batch).
///
/// Gradients already live in one flat buffer (`FlatParameters`), so a bucket is an element range of it
/// (the whole buffer by default, one per `GradientBuckets` bucket with overlap): no packing copy is
/// needed.
///
/// ```swift
/// let reducer = GradientReducer(mode: .deterministic, communicator: comm)
/// let gradients = UnsafeMutableBufferPointer(start: flat.gradients.floats, count: flat.gradients.count)
/// try reducer.reduce(fragments: acc.fragmentBuffers, leaves: 12, into: gradients)   // Σ over ranks
/// ```
public final class GradientReducer {
    public let mode: ReductionMode
    public let communicator: Communicator
    public let tree = DeterministicAllReduce()
    /// Seconds spent in collectives since creation.
    public private(set) var communicationSeconds = 0.0
    public private(set) var reductions = 0

    public init(mode: ReductionMode, communicator: Communicator) {
        self.mode = mode
        self.communicator = communicator
    }

    /// Writes the sum over all ranks of the step's `leaves` leaves into `output` on every rank; this
    /// rank's fragment sums (left to right) are used as scratch, and one may be `output` itself.
    /// `deterministic`: the canonical tree, the same bits for every world size. `mpi`: the rank's
    /// fragments added right to left, then the backend's allreduce.
    public func reduce(fragments: [UnsafeMutablePointer<Float>], leaves: Int,
                       into output: UnsafeMutableBufferPointer<Float>) throws {
        try timed { try sum(fragments: fragments, leaves: leaves, into: output) }
    }

    /// The first half of `reduce` for optimizer sharding (deterministic mode only): afterwards rank c
    /// holds in `output` the sum of its elements `part(c)` only, each in the canonical tree.
    public func reduceScatter(fragments: [UnsafeMutablePointer<Float>], leaves: Int, into output: UnsafeMutablePointer<Float>,
                              parts part: (Int) -> Range<Int>) throws {
        precondition(mode == .deterministic, "a reduce-scatter is part of the deterministic reduction only")
        try timed { try tree.reduceScatter(fragments: fragments, leaves: leaves, into: output, over: communicator, parts: part) }
    }

    /// Runs one collective, adding its time to `communicationSeconds`.
    private func timed(_ body: () throws -> Void) rethrows {
        let start = DispatchTime.now().uptimeNanoseconds
        try body()
        communicationSeconds += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        reductions += 1
    }

    private func sum(fragments: [UnsafeMutablePointer<Float>], leaves: Int,
                     into output: UnsafeMutableBufferPointer<Float>) throws {
        switch mode {
        case .deterministic:
            try tree.sum(fragments: fragments, leaves: leaves, into: output, over: communicator)
        case .mpi:
            if let out = output.baseAddress {
                var partial = fragments.last!
                for left in fragments.dropLast().reversed() {
                    BlockAccumulator.addInPlace(left: left, right: partial, count: output.count)
                    partial = left
                }
                if partial != out { out.update(from: partial, count: output.count) }
            }
            if communicator.worldSize > 1 { try communicator.allReduceSum(output) }
        }
    }
}
