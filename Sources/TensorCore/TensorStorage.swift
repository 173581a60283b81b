/// An owned, 64-byte aligned block of memory that one or more tensors view.
/// Views (reshapes, slices of a flat parameter buffer) share a storage; it is freed with its last view.
public final class TensorStorage: @unchecked Sendable {
    public let base: UnsafeMutableRawPointer
    public let byteCount: Int

    /// Uninitialised memory for `byteCount` bytes.
    public init(byteCount: Int) {
        self.byteCount = byteCount
        base = UnsafeMutableRawPointer.allocate(byteCount: max(byteCount, 1), alignment: 64)
    }

    /// Zero-filled memory for `byteCount` bytes.
    public convenience init(zeroedByteCount byteCount: Int) {
        self.init(byteCount: byteCount)
        base.initializeMemory(as: UInt8.self, repeating: 0, count: byteCount)
    }

    deinit { base.deallocate() }
}
