import Foundation
import Distributed
import TensorCore

/// Times both reduction modes over one world, OSU/nccl-tests style: for each message size, warm-ups,
/// then repetitions each started by a barrier, the slowest rank's time counting for each; the median,
/// minimum and maximum over repetitions, algorithm and bus bandwidth.
///
/// `deterministic` is the contract's tree (`DeterministicAllReduce`); `mpi` is the communicator's own
/// `allReduceSum` — `MPI_Allreduce` under mpirun, the rendezvous sum of `SimulatedWorld` for threads.
/// Barriers and the max-of-ranks bookkeeping go through `control` (the unshaped communicator), so
/// that a network model charges only the allreduce itself.
///
/// ```swift
/// let rows = try AllReduceBenchmark(communicator: comm).run()
/// for row in rows { print(row.line) }
/// ```
public struct AllReduceBenchmark {
    public let communicator: Communicator
    public let control: Communicator
    /// Message sizes in bytes (multiples of 4): 4 KB … 64 MB by factors of 4 unless set.
    public var sizes: [Int] = Self.sizes(from: 4096, to: 64 << 20)
    /// Seconds of timed repetitions per case (at least `minimumRepetitions` are run).
    public var secondsPerCase = 0.25
    public var minimumRepetitions = 5
    public var maximumRepetitions = 200

    public init(communicator: Communicator, control: Communicator? = nil) {
        self.communicator = communicator
        self.control = control ?? communicator
    }

    /// `from`, 4·`from`, 16·`from`, … up to `to` (inclusive).
    public static func sizes(from: Int, to: Int) -> [Int] {
        precondition(from >= 4 && from % 4 == 0, "sizes are whole floats")
        return Array(sequence(first: from) { $0 * 4 }.prefix { $0 <= to })
    }

    /// One row per size and mode (deterministic first), identical on every rank.
    public func run() throws -> [AllReduceRow] {
        let tree = DeterministicAllReduce()
        var rows: [AllReduceRow] = []
        for bytes in sizes {
            let count = bytes / 4
            let buffer = HugePages.allocateFloats(capacity: count)   // as a training run's gradients are
            defer { buffer.deallocate() }
            buffer.initialize(repeating: 1)
            for mode in ReductionMode.allCases {
                let body: () throws -> Void = mode == .deterministic
                    ? { try tree.sum(buffer, over: communicator) }
                    : { try communicator.allReduceSum(buffer) }
                let samples = try time(body)
                let gamma = ReductionKernel.secondsPerByte(bytes: bytes)
                rows.append(AllReduceRow(mode: mode, ranks: communicator.worldSize, bytes: bytes,
                                         microseconds: samples, reductionNanosecondsPerByte: gamma * 1e9))
                // Keep the ranks together: rows start at the same moment on every rank.
                buffer.update(repeating: 1)
            }
        }
        return rows
    }

    /// Microseconds of `body` per repetition (the slowest rank's), sorted. The number of repetitions
    /// comes from the slowest rank's warm-up time, so that every rank runs the same number.
    private func time(_ body: () throws -> Void) throws -> [Double] {
        var warmUp = 0.0
        for _ in 0..<2 { warmUp = try slowestRank(body) }
        let wanted = Int(secondsPerCase / max(warmUp * 1e-6, 1e-9))
        let repetitions = min(maximumRepetitions, max(minimumRepetitions, wanted))
        var samples: [Double] = []
        for _ in 0..<repetitions { samples.append(try slowestRank(body)) }
        return samples.sorted()
    }

    /// One barrier-started repetition; microseconds of the slowest rank.
    private func slowestRank(_ body: () throws -> Void) throws -> Double {
        try control.barrier()
        let start = DispatchTime.now().uptimeNanoseconds
        try body()
        let mine = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e3
        // The maximum through a sum of one-hot slots (exact: every other slot adds 0).
        var slots = [Float](repeating: 0, count: control.worldSize)
        slots[control.rank] = Float(mine)
        try slots.withUnsafeMutableBufferPointer { try control.allReduceSum($0) }
        return Double(slots.max()!)
    }
}

/// γ, the per-byte cost of the reduction itself: the allreduce's `mine[i] = mine[i] + theirs[i]`
/// over a buffer of the given size (cold in cache when the buffer is larger than the caches, as the
/// allreduce's incoming data is).
enum ReductionKernel {
    static func secondsPerByte(bytes: Int) -> Double {
        let count = max(1, bytes / 4)
        let mine = HugePages.allocateFloats(capacity: count).baseAddress!, theirs = HugePages.allocateFloats(capacity: count).baseAddress!
        defer { mine.deallocate(); theirs.deallocate() }
        mine.initialize(repeating: 0, count: count)
        theirs.initialize(repeating: 1, count: count)
        var best = Double.infinity
        let repetitions = max(3, min(50, (16 << 20) / max(bytes, 1)))
        for _ in 0..<repetitions {
            let start = DispatchTime.now().uptimeNanoseconds
            for i in 0..<count { mine[i] = mine[i] + theirs[i] }
            best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        precondition(mine[0] == Float(repetitions), "the loop ran")   // keeps the loop from being optimised away
        return best / Double(count * 4)
    }
}
