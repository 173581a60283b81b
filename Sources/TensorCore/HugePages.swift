#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Asks Linux to back large buffers with 2 MB transparent huge pages (`madvise(MADV_HUGEPAGE)`).
///
/// With 4 KB pages, every transfer of a buffer between two MPI ranks on one machine walks its page
/// table page by page: Open MPI's shared-memory transport copies large messages with
/// `process_vm_readv`, which pins and looks up each 4 KB page of the peer's buffer. Measured on this
/// project's 2-core VM (`lockstep bench allreduce --ranks 2`, deterministic): a 16 MB allreduce took
/// 2.68 ms with 4 KB pages and 1.45 ms with huge pages, 4 MB 402 → 294 µs; the wide MLP's 2-rank
/// step, whose gradients (12.6 MB) cross between the ranks twice, lost 0.9 ms of reduction.
/// Linux's default for anonymous memory is `madvise` (only advised ranges get huge pages), and glibc
/// advises nothing unless started with `GLIBC_TUNABLES=glibc.malloc.hugetlb=1`, which a library cannot
/// set for its process.
///
/// Only the 2 MB-aligned pages wholly inside a block are advised, so a block's neighbours are never
/// affected, and blocks below `minimumBytes` — which could not hold one — are left alone (one system
/// call per large allocation, none per small one). Where huge pages are off (`never`) or this is not
/// Linux, advising does nothing and memory works as before; the bits of every computation are the same.
///
/// ```swift
/// let block = UnsafeMutableRawPointer.allocate(byteCount: 16 << 20, alignment: 64)
/// HugePages.advise(block, byteCount: 16 << 20)      // the 7 or 8 whole 2 MB pages inside it
/// ```
public enum HugePages {
    /// The size of a transparent huge page on x86-64 and (with 4 KB base pages) AArch64 Linux.
    public static let pageBytes = 2 << 20

    /// Blocks smaller than this are not advised: they hold no whole aligned huge page.
    public static let minimumBytes = pageBytes

    /// The whole huge pages inside `[base, base + byteCount)`: the range that `advise` marks.
    public static func alignedInterior(of base: UnsafeMutableRawPointer, byteCount: Int) -> Range<UInt> {
        let start = UInt(bitPattern: base), end = start + UInt(byteCount)
        let page = UInt(pageBytes)
        let first = (start + page - 1) & ~(page - 1), last = end & ~(page - 1)
        return first < last ? first..<last : first..<first
    }

    /// `capacity` (at least 1) uninitialised floats, advised when large: for the long-lived buffers
    /// that ranks send from and receive into outside tensors (scratch, accumulators). Free with
    /// `deallocate()`.
    public static func allocateFloats(capacity: Int) -> UnsafeMutableBufferPointer<Float> {
        let buffer = UnsafeMutableBufferPointer<Float>.allocate(capacity: max(capacity, 1))
        advise(UnsafeMutableRawPointer(buffer.baseAddress!), byteCount: buffer.count * MemoryLayout<Float>.stride)
        return buffer
    }

    /// Marks the whole huge pages inside the block for huge-page backing; returns whether the kernel
    /// accepted it (false for a block too small to hold one, or where huge pages are unavailable).
    @discardableResult
    public static func advise(_ base: UnsafeMutableRawPointer, byteCount: Int) -> Bool {
#if os(Linux)
        guard byteCount >= minimumBytes else { return false }
        let interior = alignedInterior(of: base, byteCount: byteCount)
        guard !interior.isEmpty, let start = UnsafeMutableRawPointer(bitPattern: interior.lowerBound) else { return false }
        return madvise(start, Int(interior.upperBound - interior.lowerBound), MADV_HUGEPAGE) == 0
#else
        return false
#endif
    }
}
