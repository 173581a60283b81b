extension Tensor {
    /// Matrix product of 2-D tensors through BLAS GEMM: `op(self) · op(other)`, where `op` transposes
    /// when asked. Transposes are never materialised: BLAS reads the operand transposed.
    ///
    /// ```swift
    /// let y = x.matrixProduct(w, transposeOther: true)   // (N, in) · (out, in)ᵀ = (N, out)
    /// ```
    /// Returns nil when the inner dimensions do not agree.
    public func matrixProduct(_ other: Tensor, transposeSelf: Bool = false, transposeOther: Bool = false) -> Tensor? {
        guard rank == 2, other.rank == 2, dtype == other.dtype else { return nil }
        let (m, k) = transposeSelf ? (shape[1], shape[0]) : (shape[0], shape[1])
        let (k2, n) = transposeOther ? (other.shape[1], other.shape[0]) : (other.shape[0], other.shape[1])
        guard k == k2 else { return nil }
        let out = Tensor(uninitializedShape: [m, n], dtype: dtype)
        Tensor.gemm(self, transposeA: transposeSelf, other, transposeB: transposeOther, into: out, beta: 0)
        return out
    }

    /// `c = alpha · op(a) · op(b) + beta · c`, shapes already checked by the caller.
    /// `beta = 1` accumulates into `c`, which is how a bias initialises a Linear output.
    ///
    /// `rows` computes only those rows of `c` (all by default), in one GEMM of that height. OpenBLAS's
    /// rounding depends on the shape it is given, so rows computed in pieces need not have the bits
    /// of rows computed whole: a caller that splits a product must always split it the same way.
    public static func gemm(_ a: Tensor, transposeA: Bool, _ b: Tensor, transposeB: Bool, into c: Tensor,
                            rows: Range<Int>? = nil, alpha: Double = 1, beta: Double) {
        let m = c.shape[0], n = c.shape[1]
        let k = transposeA ? a.shape[0] : a.shape[1]
        precondition(a.dtype == c.dtype && b.dtype == c.dtype)
        precondition((transposeA ? a.shape[1] : a.shape[0]) == m && (transposeB ? b.shape[0] : b.shape[1]) == n
                     && (transposeB ? b.shape[1] : b.shape[0]) == k, "gemm shapes \(a.shape) \(b.shape) \(c.shape)")
        let rows = rows ?? 0..<m
        precondition(rows.lowerBound >= 0 && rows.upperBound <= m, "gemm rows \(rows) of \(m)")
        // Row i of op(a) starts at column i of a when transposed, at row i otherwise.
        let aOffset = transposeA ? rows.lowerBound : rows.lowerBound * a.shape[1], cOffset = rows.lowerBound * n
        switch c.dtype {
        case .float32:
            TensorCore.gemm(transA: transposeA, transB: transposeB, m: rows.count, n: n, k: k, alpha: Float(alpha),
                            a: a.pointer(as: Float.self) + aOffset, lda: a.shape[1], b: b.pointer(as: Float.self),
                            ldb: b.shape[1], beta: Float(beta), c: c.pointer(as: Float.self) + cOffset, ldc: n)
        case .float64:
            TensorCore.gemm(transA: transposeA, transB: transposeB, m: rows.count, n: n, k: k, alpha: alpha,
                            a: a.pointer(as: Double.self) + aOffset, lda: a.shape[1], b: b.pointer(as: Double.self),
                            ldb: b.shape[1], beta: beta, c: c.pointer(as: Double.self) + cOffset, ldc: n)
        case .int64: preconditionFailure("gemm on int64")
        }
    }

    /// The transpose of a 2-D tensor, materialised.
    public func transposed() -> Tensor {
        precondition(rank == 2, "transpose of a \(rank)-D tensor")
        let (r, c) = (shape[0], shape[1])
        let out = Tensor(uninitializedShape: [c, r], dtype: dtype)
        func run<T: TensorScalar>(_: T.Type) {
            let x = pointer(as: T.self), y = out.pointer(as: T.self)
            for i in 0..<r { for j in 0..<c { y[j * r + i] = x[i * c + j] } }
        }
        switch dtype {
        case .float32: run(Float.self)
        case .float64: run(Double.self)
        case .int64: preconditionFailure("transpose of int64")
        }
        return out
    }
}
