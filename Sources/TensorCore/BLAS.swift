import CBLAS
import Foundation

// The only place that calls OpenBLAS. Generic wrappers pick the single- or double-precision routine;
// after specialisation the type test folds away.

@inline(__always)
func gemm<T: TensorScalar>(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: T,
                           a: UnsafePointer<T>, lda: Int, b: UnsafePointer<T>, ldb: Int,
                           beta: T, c: UnsafeMutablePointer<T>, ldc: Int) {
    if GEMMProfile.anyActive, let profile = GEMMProfile.current {
        let start = DispatchTime.now().uptimeNanoseconds
        gemmCall(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb,
                 beta: beta, c: c, ldc: ldc)
        let elapsed = DispatchTime.now().uptimeNanoseconds - start
        profile.record(GEMMProfile.Call(transposeA: transA, transposeB: transB, m: m, n: n, k: k, lda: lda, ldb: ldb,
                                        ldc: ldc, beta: Double(beta), dtype: T.dtype), nanoseconds: elapsed)
        return
    }
    gemmCall(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb,
             beta: beta, c: c, ldc: ldc)
}

/// The `cblas_?gemm` call itself, unrecorded.
///
/// `beta = 0` is passed on as a zeroed C and `beta = 1`: OpenBLAS (0.3.21) zeroes C with a loop of
/// its own and then accumulates the product into it, and that loop is slow — 20 % of a
/// 1024 × 64 × 64 product, a third of a 64 × 64 × 16 one (C microbenchmark, Zen 3) — where a memset
/// costs a few per cent. The product then adds onto +0 exactly as after OpenBLAS's zeroing: the
/// same bits.
@inline(__always)
func gemmCall<T: TensorScalar>(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: T,
                               a: UnsafePointer<T>, lda: Int, b: UnsafePointer<T>, ldb: Int,
                               beta: T, c: UnsafeMutablePointer<T>, ldc: Int) {
    var beta = beta
    if beta == 0 && m > 0 && n > 0 {
        if ldc == n {
            c.update(repeating: 0, count: m * n)
        } else {
            for row in 0..<m { (c + row * ldc).update(repeating: 0, count: n) }
        }
        beta = 1
    }
    let ta = transA ? CblasTrans : CblasNoTrans, tb = transB ? CblasTrans : CblasNoTrans
    if T.self == Float.self {
        a.withMemoryRebound(to: Float.self, capacity: 1) { a in
            b.withMemoryRebound(to: Float.self, capacity: 1) { b in
                c.withMemoryRebound(to: Float.self, capacity: 1) { c in
                    cblas_sgemm(CblasRowMajor, ta, tb, Int32(m), Int32(n), Int32(k), Float(alpha),
                                a, Int32(lda), b, Int32(ldb), Float(beta), c, Int32(ldc))
                }
            }
        }
    } else {
        a.withMemoryRebound(to: Double.self, capacity: 1) { a in
            b.withMemoryRebound(to: Double.self, capacity: 1) { b in
                c.withMemoryRebound(to: Double.self, capacity: 1) { c in
                    cblas_dgemm(CblasRowMajor, ta, tb, Int32(m), Int32(n), Int32(k), Double(alpha),
                                a, Int32(lda), b, Int32(ldb), Double(beta), c, Int32(ldc))
                }
            }
        }
    }
}

/// `y += alpha · x`.
@inline(__always)
func axpy<T: TensorScalar>(_ alpha: T, _ x: UnsafePointer<T>, _ y: UnsafeMutablePointer<T>, _ n: Int) {
    if T.self == Float.self {
        x.withMemoryRebound(to: Float.self, capacity: n) { x in
            y.withMemoryRebound(to: Float.self, capacity: n) { y in
                cblas_saxpy(Int32(n), Float(alpha), x, 1, y, 1)
            }
        }
    } else {
        x.withMemoryRebound(to: Double.self, capacity: n) { x in
            y.withMemoryRebound(to: Double.self, capacity: n) { y in
                cblas_daxpy(Int32(n), Double(alpha), x, 1, y, 1)
            }
        }
    }
}

/// `x *= alpha`.
@inline(__always)
func scal<T: TensorScalar>(_ alpha: T, _ x: UnsafeMutablePointer<T>, _ n: Int) {
    if T.self == Float.self {
        x.withMemoryRebound(to: Float.self, capacity: n) { cblas_sscal(Int32(n), Float(alpha), $0, 1) }
    } else {
        x.withMemoryRebound(to: Double.self, capacity: n) { cblas_dscal(Int32(n), Double(alpha), $0, 1) }
    }
}

/// OpenBLAS's thread pool. Lockstep runs one BLAS thread per rank: ranks are the parallelism, and
/// a second level of threads would fight them for the cores.
public enum BLASThreads {
    public static var count: Int { Int(openblas_get_num_threads()) }
    public static func set(_ n: Int) { openblas_set_num_threads(Int32(n)) }
}
