import CMPI
import Distributed
import Foundation

/// The ranks of `MPI_COMM_WORLD`: one process per rank, started by `mpirun` (or `srun`).
/// Obtain it from `MPIRuntime.start()`; every call throws `MPIError` when MPI reports a failure.
///
/// ```swift
/// let comm = try MPIRuntime.start()
/// try comm.allReduceSum(gradients)            // MPI_Allreduce, MPI_IN_PLACE, MPI_SUM
/// try comm.broadcast(parameterBytes, root: 0) // MPI_Bcast
/// try MPIRuntime.finish()
/// ```
///
/// Sendable without `@unchecked`: it holds only immutable values (the `MPI_Comm` handle, a C pointer,
/// is fetched per call rather than stored), and its MPI calls are serialised by `MPIRuntime`'s lock,
/// which is what the `MPI_THREAD_SERIALIZED` level that MPI was initialised with requires.
public final class MPICommunicator: Communicator, Sendable {
    /// The largest count one MPI call takes (`Int32.max`): longer buffers are sent in chunks.
    public static let mpiCountLimit = Int(Int32.max)
    /// The tag of `sendReceive` messages unless the caller picks another.
    public static let defaultTag = 0
    /// The largest tag every MPI library accepts (the standard's minimum for `MPI_TAG_UB`).
    public static let maxPortableTag = 32767

    public let rank: Int
    public let worldSize: Int
    /// `MPI_Get_processor_name`: the host this rank runs on.
    public let processorName: String
    /// The most elements (floats or bytes) that one MPI call moves; see `MPIRuntime.start`.
    public let maxElementsPerCall: Int
    /// How `sendReceive` and `allReduceSum` wait for the peers.
    public let waitMode: WaitMode

    /// How a call waits for its peers.
    public enum WaitMode: Sendable, Equatable {
        /// MPI's blocking calls, which poll flat out: the lowest latency, for the rank's own thread.
        case spin
        /// Nonblocking calls tested in a loop, a few tests back to back, then one test every
        /// `microseconds`: a background thread waiting for a slower peer then leaves the core to
        /// the rank's compute (on 2 cores a spinning communication thread halves a GEMM's speed).
        case sleep(microseconds: Int)
    }

    /// True when started by an MPI launcher; see `MPIRuntime.isLaunchedByMPI`.
    public static var isLaunchedByMPI: Bool { MPIRuntime.isLaunchedByMPI }

    init(rank: Int, worldSize: Int, processorName: String, maxElementsPerCall: Int, waitMode: WaitMode = .spin) {
        self.rank = rank
        self.worldSize = worldSize
        self.processorName = processorName
        self.maxElementsPerCall = maxElementsPerCall
        self.waitMode = waitMode
    }

    /// This communicator waiting by sleeping (`WaitMode.sleep`, 100 µs between tests): what a
    /// communication thread uses. Its calls share the process's MPI lock with this one's. (Measured
    /// on 2 cores, wide MLP with overlap: spinning 0.79–0.82 weak-scaling efficiency on loopback,
    /// 20 µs 0.86–0.90, 100 µs 0.90–0.91; docs/scaling.md.)
    public func forCommunicationThread() -> Communicator {
        MPICommunicator(rank: rank, worldSize: worldSize, processorName: processorName,
                        maxElementsPerCall: maxElementsPerCall, waitMode: .sleep(microseconds: 100))
    }

    /// `MPI_Allreduce(MPI_IN_PLACE, buffer, …, MPI_FLOAT, MPI_SUM)`, in chunks of at most
    /// `maxElementsPerCall`. Every rank must pass the same count. The library picks the order of
    /// additions, so results agree with the deterministic allreduce only to rounding.
    public func allReduceSum(_ buffer: UnsafeMutableBufferPointer<Float>) throws {
        guard let base = buffer.baseAddress, !buffer.isEmpty else { return }
        try MPIRuntime.serialized("MPI_Allreduce") {
            var offset = 0
            while offset < buffer.count {
                let count = min(maxElementsPerCall, buffer.count - offset)
                if case .sleep(let microseconds) = waitMode {
                    var request: MPI_Request? = cmpi_request_null()
                    try check(MPI_Iallreduce(cmpi_in_place(), base + offset, Int32(count), cmpi_float(), cmpi_op_sum(),
                                             cmpi_comm_world(), &request), "MPI_Iallreduce")
                    var requests = [request]
                    _ = try waitSleeping(&requests, microseconds: microseconds, call: "MPI_Iallreduce")
                } else {
                    try check(MPI_Allreduce(cmpi_in_place(), base + offset, Int32(count),
                                            cmpi_float(), cmpi_op_sum(), cmpi_comm_world()), "MPI_Allreduce")
                }
                offset += count
            }
        }
    }

    /// `MPI_Bcast` of raw bytes from `root`, in chunks of at most `maxElementsPerCall` bytes.
    /// Every rank must pass the same byte count.
    public func broadcast(_ buffer: UnsafeMutableRawBufferPointer, root: Int) throws {
        guard let base = buffer.baseAddress, !buffer.isEmpty else { return }
        try MPIRuntime.serialized("MPI_Bcast") {
            var offset = 0
            while offset < buffer.count {
                let count = min(maxElementsPerCall, buffer.count - offset)
                try check(MPI_Bcast(base + offset, Int32(count), cmpi_byte(), Int32(clamping: root),
                                    cmpi_comm_world()), "MPI_Bcast")
                offset += count
            }
        }
    }

    /// `MPI_Sendrecv` of floats with tag `defaultTag`; see `sendReceive(send:to:receive:from:tag:)`.
    public func sendReceive(send: UnsafeBufferPointer<Float>, to destination: Int,
                            receive: UnsafeMutableBufferPointer<Float>, from source: Int) throws {
        try sendReceive(send: send, to: destination, receive: receive, from: source, tag: Self.defaultTag)
    }

    /// `sendReceive` returning no sooner than `deadline`. Waiting by sleeping, the transfer is posted,
    /// tested a few times (a peer already there is served at once), then the thread sleeps to the
    /// deadline in one go before testing again: a shaped transfer wakes the thread about once, where
    /// polling every 100 µs woke it four times for each 0.5 MB at 10 Gbit/s.
    public func sendReceive(send: UnsafeBufferPointer<Float>, to destination: Int,
                            receive: UnsafeMutableBufferPointer<Float>, from source: Int, notBefore deadline: UInt64) throws {
        try sendReceive(send: send, to: destination, receive: receive, from: source, tag: Self.defaultTag, notBefore: deadline)
        MonotonicClock.sleep(until: deadline)     // when the transfer was not one posted nonblocking call
    }

    /// Sends `send` to `destination` while receiving exactly `receive.count` floats from `source`.
    /// Messages up to `maxElementsPerCall` go in one `MPI_Sendrecv`; longer ones in chunks with
    /// `MPI_Isend`/`MPI_Irecv`/`MPI_Waitall` (MPI keeps messages between two ranks with one tag in
    /// order). Throws when the message that arrives is shorter or longer than `receive.count`.
    public func sendReceive(send: UnsafeBufferPointer<Float>, to destination: Int,
                            receive: UnsafeMutableBufferPointer<Float>, from source: Int, tag: Int) throws {
        try sendReceive(send: send, to: destination, receive: receive, from: source, tag: tag, notBefore: nil)
    }

    private func sendReceive(send: UnsafeBufferPointer<Float>, to destination: Int,
                             receive: UnsafeMutableBufferPointer<Float>, from source: Int, tag: Int,
                             notBefore deadline: UInt64?) throws {
        guard destination >= 0, source >= 0 else {
            throw MPIError(call: "MPI_Sendrecv",
                           message: "invalid rank (destination \(destination), source \(source); ranks are 0..<\(worldSize))")
        }
        guard (0...Self.maxPortableTag).contains(tag) else {
            throw MPIError(call: "MPI_Sendrecv", message: "invalid tag \(tag) (tags are 0...\(Self.maxPortableTag))")
        }
        let destination = Int32(clamping: destination), source = Int32(clamping: source), tag = Int32(tag)
        if case .sleep(let microseconds) = waitMode, send.count <= maxElementsPerCall && receive.count <= maxElementsPerCall {
            try MPIRuntime.serialized("MPI_Isend") {
                var requests = [MPI_Request?](repeating: cmpi_request_null(), count: 2)
                try check(MPI_Irecv(receive.baseAddress, Int32(receive.count), cmpi_float(), source, tag,
                                    cmpi_comm_world(), &requests[0]), "MPI_Irecv")
                do {
                    try check(MPI_Isend(send.baseAddress, Int32(send.count), cmpi_float(), destination, tag,
                                        cmpi_comm_world(), &requests[1]), "MPI_Isend")
                } catch {
                    // Withdraw the receive so that nothing writes into `receive` after we return.
                    _ = MPI_Cancel(&requests[0])
                    _ = MPI_Wait(&requests[0], cmpi_status_ignore())
                    throw error
                }
                let statuses = try waitSleeping(&requests, microseconds: microseconds, notBefore: deadline, call: "MPI_Isend")
                try checkReceived(statuses[0], expected: receive.count, from: source, call: "MPI_Irecv")
            }
        } else if send.count <= maxElementsPerCall && receive.count <= maxElementsPerCall {
            try MPIRuntime.serialized("MPI_Sendrecv") {
                var status = MPI_Status()
                try check(MPI_Sendrecv(send.baseAddress, Int32(send.count), cmpi_float(), destination, tag,
                                       receive.baseAddress, Int32(receive.count), cmpi_float(), source, tag,
                                       cmpi_comm_world(), &status), "MPI_Sendrecv")
                try checkReceived(status, expected: receive.count, from: source, call: "MPI_Sendrecv")
            }
        } else {
            try MPIRuntime.serialized("MPI_Waitall") {
                try chunkedSendReceive(send: send, to: destination, receive: receive, from: source, tag: tag)
            }
        }
    }

    /// `MPI_Barrier` on `MPI_COMM_WORLD`.
    public func barrier() throws {
        try MPIRuntime.serialized("MPI_Barrier") {
            try check(MPI_Barrier(cmpi_comm_world()), "MPI_Barrier")
        }
    }

    /// Prints `error: <reason>` to stderr and calls `MPI_Abort(MPI_COMM_WORLD, 1)`: mpirun then ends
    /// every rank and exits non-zero.
    public func abort(reason: String) -> Never {
        MPIRuntime.abort(reason: reason, code: 1)
    }

    /// `MPI_Testall` until `requests` complete: 64 tests back to back (a peer that is already there
    /// answers within them); when a `deadline` is given and still ahead, one sleep until it and another
    /// 64 tests (the peer, sleeping to the same deadline, replies just behind); then one test every
    /// `microseconds` of sleep. Testing drives MPI's progress engine, so a large message still moves
    /// between the tests.
    private func waitSleeping(_ requests: inout [MPI_Request?], microseconds: Int, notBefore deadline: UInt64? = nil,
                              call: String) throws -> [MPI_Status] {
        var statuses = [MPI_Status](repeating: MPI_Status(), count: requests.count)
        var done: Int32 = 0
        var tests = 0
        while true {
            let code = MPI_Testall(Int32(requests.count), &requests, &done, &statuses)
            if code == MPI_ERR_IN_STATUS, let failed = statuses.first(where: { $0.MPI_ERROR != MPI_SUCCESS }) {
                throw MPIError(call: call, code: failed.MPI_ERROR)
            }
            try check(code, "MPI_Testall")
            if done != 0 { return statuses }
            tests += 1
            if tests == 64, let deadline, deadline > MonotonicClock.nanoseconds {
                MonotonicClock.sleep(until: deadline)
                tests = 0          // and a burst of tests again: the peer's reply is likely just behind
            } else if tests >= 64 {
                usleep(UInt32(microseconds))
            }
        }
    }

    // MARK: - Chunked point-to-point

    /// Splits `count` elements into chunks; an empty buffer is one empty message, so that both sides
    /// agree on the number of messages whatever the sizes.
    private func chunks(_ count: Int) -> [(offset: Int, count: Int)] {
        if count == 0 { return [(0, 0)] }
        return stride(from: 0, to: count, by: maxElementsPerCall).map { ($0, min(maxElementsPerCall, count - $0)) }
    }

    private func chunkedSendReceive(send: UnsafeBufferPointer<Float>, to destination: Int32,
                                    receive: UnsafeMutableBufferPointer<Float>, from source: Int32,
                                    tag: Int32) throws {
        let receiveChunks = chunks(receive.count), sendChunks = chunks(send.count)
        var requests = [MPI_Request?](repeating: cmpi_request_null(), count: receiveChunks.count + sendChunks.count)
        var posted = 0
        do {
            for chunk in receiveChunks {
                try check(MPI_Irecv(receive.baseAddress.map { $0 + chunk.offset }, Int32(chunk.count), cmpi_float(),
                                    source, tag, cmpi_comm_world(), &requests[posted]), "MPI_Irecv")
                posted += 1
            }
            for chunk in sendChunks {
                try check(MPI_Isend(send.baseAddress.map { $0 + chunk.offset }, Int32(chunk.count), cmpi_float(),
                                    destination, tag, cmpi_comm_world(), &requests[posted]), "MPI_Isend")
                posted += 1
            }
        } catch {
            // Withdraw what was posted so that nothing writes into `receive` after we return.
            for index in 0..<posted {
                _ = MPI_Cancel(&requests[index])
                _ = MPI_Wait(&requests[index], cmpi_status_ignore())
            }
            throw error
        }
        var statuses = [MPI_Status](repeating: MPI_Status(), count: requests.count)
        let code = MPI_Waitall(Int32(requests.count), &requests, &statuses)
        if code == MPI_ERR_IN_STATUS, let failed = statuses.first(where: { $0.MPI_ERROR != MPI_SUCCESS }) {
            throw MPIError(call: "MPI_Waitall", code: failed.MPI_ERROR)
        }
        try check(code, "MPI_Waitall")
        for (index, chunk) in receiveChunks.enumerated() {
            try checkReceived(statuses[index], expected: chunk.count, from: source, call: "MPI_Irecv")
        }
    }

    /// A shorter message than expected is not an MPI error (a longer one is `MPI_ERR_TRUNCATE`), but for
    /// Lockstep it means the ranks disagree about buffer sizes.
    private func checkReceived(_ status: MPI_Status, expected: Int, from source: Int32, call: String) throws {
        var status = status
        var received: Int32 = 0
        try check(MPI_Get_count(&status, cmpi_float(), &received), "MPI_Get_count")
        if Int(received) != expected {
            throw MPIError(call: call, message: "rank \(rank) received \(received) floats from rank \(source), expected \(expected)")
        }
    }
}
