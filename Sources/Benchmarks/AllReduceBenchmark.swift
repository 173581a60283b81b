import Foundation
import Distributed

/// Times the deterministic allreduce against the backend's own (`MPI_Allreduce` under MPI), OSU
/// style: for each message size, warm-up iterations, then the median over timed repetitions, with a
/// barrier before each repetition so that every rank starts together.
///
/// ```swift
/// for row in try AllReduceBenchmark(communicator: comm).run() { print(row.line) }
/// ```
public struct AllReduceBenchmark {
    public struct Row: Sendable {
        public let ranks: Int
        public let bytes: Int
        public let deterministicMicroseconds: Double
        public let mpiMicroseconds: Double
        public var ratio: Double { deterministicMicroseconds / mpiMicroseconds }
        public var line: String {
            "allreduce ranks=\(ranks) bytes=\(bytes) deterministic_us=\(String(format: "%.1f", deterministicMicroseconds)) "
                + "mpi_us=\(String(format: "%.1f", mpiMicroseconds)) ratio=\(String(format: "%.3f", ratio))"
        }
    }

    public let communicator: Communicator
    /// Message sizes in bytes: 4 KB … 64 MB by factors of 4.
    public var sizes: [Int] = (0...7).map { 4096 << (2 * $0) }

    public init(communicator: Communicator) {
        self.communicator = communicator
    }

    public func run() throws -> [Row] {
        let tree = DeterministicAllReduce()
        var rows: [Row] = []
        for bytes in sizes {
            let count = bytes / 4
            let buffer = UnsafeMutableBufferPointer<Float>.allocate(capacity: count)
            defer { buffer.deallocate() }
            buffer.initialize(repeating: 1)
            // Fewer repetitions for big messages: about a quarter of a second per case.
            let repetitions = max(5, min(200, (64 << 20) / max(bytes, 1) * 2))
            let deterministic = try time(repetitions) { try tree.sum(buffer, over: communicator) }
            let library = try time(repetitions) { try communicator.allReduceSum(buffer) }
            rows.append(Row(ranks: communicator.worldSize, bytes: bytes,
                            deterministicMicroseconds: deterministic, mpiMicroseconds: library))
        }
        return rows
    }

    /// Median microseconds of `body` over `repetitions` (after 3 warm-ups), the slowest rank's time
    /// counting for each repetition.
    private func time(_ repetitions: Int, _ body: () throws -> Void) throws -> Double {
        for _ in 0..<3 { try body() }
        var samples: [Double] = []
        for _ in 0..<repetitions {
            try communicator.barrier()
            let start = DispatchTime.now().uptimeNanoseconds
            try body()
            var elapsed = [Float(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e3)]
            // The slowest rank decides: take the maximum through a sum of one-hot slots.
            var slots = [Float](repeating: 0, count: communicator.worldSize)
            slots[communicator.rank] = elapsed[0]
            try slots.withUnsafeMutableBufferPointer { try communicator.allReduceSum($0) }
            elapsed[0] = slots.max()!
            samples.append(Double(elapsed[0]))
        }
        return samples.sorted()[samples.count / 2]
    }
}
