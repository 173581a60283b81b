#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Keeps large tensor blocks in the heap instead of handing each to mmap.
///
/// glibc serves every block of 128 KB or more with its own `mmap` and gives it back with `munmap`
/// when freed: the next block of that size costs a page fault per 4 KB page to map afresh, and each
/// unmap a TLB shootdown. Its adaptive threshold does not help a training loop, which allocates the
/// same sizes every step (a batch, activations, gradients): it is raised to the size of the block
/// just freed, and a request of exactly that size is still at the threshold, so it is mapped again.
/// Measured on the wide MLP: freeing one 1 MB input batch took 0.61–0.67 ms per step, and the
/// reference model's step at batch 4,096 went from 3.2 to 1.9 ms with blocks kept in the heap.
///
/// So, once, before the first tensor is allocated: `mallopt(M_MMAP_THRESHOLD, 256 MB)` (blocks up to
/// 256 MB come from the heap and are reused) and `mallopt(M_TRIM_THRESHOLD, 1 GB)` (freed memory is
/// kept for reuse rather than returned at once). Peak memory is unchanged; the resident size stays
/// near the peak, as with a caching allocator. `mallopt` is looked up at run time (it is not in
/// Swift's Glibc module); elsewhere this does nothing.
enum HeapTuning {
    /// Whether glibc accepted both settings (false where there is no glibc `mallopt`).
    static let applied: Bool = {
#if os(Linux)
        typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
        guard let symbol = dlsym(nil, "mallopt") else { return false }   // nil: RTLD_DEFAULT
        let mallopt = unsafeBitCast(symbol, to: Mallopt.self)
        let mmapThreshold: Int32 = -3, trimThreshold: Int32 = -1        // M_MMAP_THRESHOLD, M_TRIM_THRESHOLD
        return mallopt(mmapThreshold, 256 << 20) == 1 && mallopt(trimThreshold, 1 << 30) == 1
#else
        return false
#endif
    }()
}
