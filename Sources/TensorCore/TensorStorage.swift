import Synchronization

/// An owned, 64-byte aligned block of memory that one or more tensors view.
/// Views (reshapes, slices of a flat parameter buffer) share a storage; it is freed with its last view.
/// Blocks of 2 MB or more are advised for transparent huge pages (`HugePages`): ranks copy them to
/// each other a page-table entry per 2 MB instead of per 4 KB.
///
/// Every storage is counted: `TensorStorage.liveBytes` is the number of tensor bytes allocated and not
/// yet freed in this process, `peakBytes` the highest it has been since the last `resetPeak()`. The
/// cost is one relaxed atomic add per allocation and per free (plus a relaxed load and, only when a new
/// peak is reached, an atomic max). A `MemoryMeter` counts the same per scope of one task, unaffected
/// by other threads.
///
/// ```swift
/// TensorStorage.resetPeak()
/// let before = TensorStorage.liveBytes
/// let loss = try model(x).sum()
/// print(TensorStorage.liveBytes - before)   // bytes the graph holds for backward
/// ```
public final class TensorStorage: @unchecked Sendable {
    public let base: UnsafeMutableRawPointer
    public let byteCount: Int
    /// The meter this storage was counted in (the `MemoryMeter` tracking the allocating task), if any.
    let meter: MemoryMeter?
    /// What malloc returned: `base` rounded up to 64 bytes inside it. Over-allocating and rounding is
    /// cheaper than an aligned allocation (glibc's memalign splits and frees a leading chunk each
    /// time, which then costs free-list consolidation): ~40 storages are made per training step.
    private let allocation: UnsafeMutableRawPointer

    /// Uninitialised memory for `byteCount` bytes.
    public init(byteCount: Int) {
        _ = HeapTuning.applied            // once per process: large blocks stay in the heap
        self.byteCount = byteCount
        allocation = UnsafeMutableRawPointer.allocate(byteCount: max(byteCount, 1) + 63, alignment: 16)
        base = UnsafeMutableRawPointer(bitPattern: (UInt(bitPattern: allocation) + 63) & ~63)!
        HugePages.advise(base, byteCount: byteCount)       // blocks of 2 MB or more; smaller ones return at once
        meter = MemoryMeter.anyActive ? MemoryMeter.current : nil
        Self.counted(byteCount)
        meter?.counted(byteCount)
    }

    /// Zero-filled memory for `byteCount` bytes.
    public convenience init(zeroedByteCount byteCount: Int) {
        self.init(byteCount: byteCount)
        base.initializeMemory(as: UInt8.self, repeating: 0, count: byteCount)
    }

    deinit {
        allocation.deallocate()
        Self.live.wrappingSubtract(byteCount, ordering: .relaxed)
        meter?.uncounted(byteCount)
    }

    /// Whether large blocks are kept in the heap rather than mapped and unmapped one by one
    /// (`HeapTuning`; true on Linux with glibc once a storage has been allocated).
    public static var largeBlocksStayInHeap: Bool { HeapTuning.applied }

    // MARK: Process-wide byte counts

    private static let live = Atomic<Int>(0)
    private static let peak = Atomic<Int>(0)

    @inline(__always)
    private static func counted(_ bytes: Int) {
        let now = live.wrappingAdd(bytes, ordering: .relaxed).newValue
        if now > peak.load(ordering: .relaxed) { peak.max(now, ordering: .relaxed) }
    }

    /// Bytes of tensor storage allocated and not yet freed, in the whole process (every thread).
    public static var liveBytes: Int { live.load(ordering: .relaxed) }

    /// The highest `liveBytes` since the last `resetPeak()` (or the start of the process).
    public static var peakBytes: Int { peak.load(ordering: .relaxed) }

    /// Restarts peak tracking from the current `liveBytes`.
    public static func resetPeak() {
        peak.store(live.load(ordering: .relaxed), ordering: .relaxed)
    }
}
