import TensorCore

/// A cheap 64-bit fingerprint of a replica's parameters and buffers, compared across ranks to catch
/// replicas that drifted apart (determinism contract, rule 7).
///
/// ```swift
/// let diverged = try ReplicaDigest.mismatchedRanks(ReplicaDigest.hash(model.stateDict().map(\.tensor)), over: comm)
/// ```
public enum ReplicaDigest {
    /// Hashes the raw bytes of `tensors`, 8 bytes at a time (a multiply–rotate mix, not cryptographic).
    public static func hash(_ tensors: [Tensor]) -> UInt64 {
        var h: UInt64 = 0x9E37_79B9_7F4A_7C15
        for t in tensors {
            let bytes = UnsafeRawBufferPointer(start: t.rawPointer, count: t.byteCount)
            let words = bytes.count / 8
            for i in 0..<words {
                let w = bytes.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self)
                h = ((h ^ w) &* 0xFF51_AFD7_ED55_8CCD)
                h = (h << 29) | (h >> 35)
            }
            for i in (words * 8)..<bytes.count { h = (h ^ UInt64(bytes[i])) &* 0x1000_0000_01B3 }
            h = (h ^ UInt64(t.count)) &* 0xC4CE_B9FE_1A85_EC53
        }
        return h ^ (h >> 33)
    }

    /// The ranks whose `digest` differs from rank 0's; the same list on every rank.
    public static func mismatchedRanks(_ digest: UInt64, over comm: Communicator) throws -> [Int] {
        guard comm.worldSize > 1 else { return [] }
        var reference = digest
        try withUnsafeMutableBytes(of: &reference) { try comm.broadcast($0, root: 0) }
        var flags = [Float](repeating: 0, count: comm.worldSize)
        flags[comm.rank] = reference == digest ? 0 : 1
        try flags.withUnsafeMutableBufferPointer { try comm.allReduceSum($0) }
        return flags.indices.filter { flags[$0] != 0 }
    }
}
