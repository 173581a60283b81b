extension Tensor {
    /// The batch shape of a matrix product of `a` (…, M, K) and `b` (…, K, N), as `torch.matmul`
    /// broadcasts it when one side is a plain matrix: equal leading axes, or none on one side (that
    /// matrix is shared by every product). Nil when the operands do not fit, transposes included.
    public static func batchedProductShape(_ a: [Int], transposeA: Bool, _ b: [Int], transposeB: Bool) -> [Int]? {
        guard a.count >= 2, b.count >= 2 else { return nil }
        let batchA = Array(a.dropLast(2)), batchB = Array(b.dropLast(2))
        guard batchA == batchB || batchA.isEmpty || batchB.isEmpty else { return nil }
        let (m, k) = transposeA ? (a[a.count - 1], a[a.count - 2]) : (a[a.count - 2], a[a.count - 1])
        let (k2, n) = transposeB ? (b[b.count - 1], b[b.count - 2]) : (b[b.count - 2], b[b.count - 1])
        guard k == k2 else { return nil }
        return (batchA.isEmpty ? batchB : batchA) + [m, n]
    }

    /// `c[i] = alpha · op(a[i]) · op(b[i]) + beta · c[i]` for every matrix `i` of the batch, one
    /// `cblas_?gemm` each, in batch order. An operand of rank 2 is the same matrix for every `i`; a
    /// result `c` of rank 2 receives the sum over the batch (the first product with `beta`, the others
    /// added in order), which is how the gradient of a shared matrix is formed. Shapes are checked by
    /// the caller (`batchedProductShape`); a 2-D product is exactly `gemm`'s.
    public static func batchedGemm(_ a: Tensor, transposeA: Bool, _ b: Tensor, transposeB: Bool, into c: Tensor,
                                   alpha: Double = 1, beta: Double) {
        precondition(a.dtype == c.dtype && b.dtype == c.dtype && a.rank >= 2 && b.rank >= 2 && c.rank >= 2)
        let (ar, ac) = (a.shape[a.rank - 2], a.shape[a.rank - 1]), (br, bc) = (b.shape[b.rank - 2], b.shape[b.rank - 1])
        let (m, n) = (c.shape[c.rank - 2], c.shape[c.rank - 1]), k = transposeA ? ar : ac
        precondition((transposeA ? ac : ar) == m && (transposeB ? br : bc) == n && (transposeB ? bc : br) == k,
                     "batched gemm shapes \(a.shape) \(b.shape) \(c.shape)")
        let lead = { (t: Tensor) in t.shape.dropLast(2).reduce(1, *) }
        let batch = max(lead(a), lead(b), lead(c))
        precondition([a, b, c].allSatisfy { $0.rank == 2 || lead($0) == batch }, "batched gemm batches \(a.shape) \(b.shape) \(c.shape)")
        let strideA = a.rank == 2 ? 0 : ar * ac, strideB = b.rank == 2 ? 0 : br * bc, strideC = c.rank == 2 ? 0 : m * n
        func run<T: TensorScalar>(_: T.Type) {
            let pa = a.pointer(as: T.self), pb = b.pointer(as: T.self), pc = c.pointer(as: T.self)
            for i in 0..<batch {
                let first = i == 0 || strideC != 0
                TensorCore.gemm(transA: transposeA, transB: transposeB, m: m, n: n, k: k, alpha: T(alpha),
                                a: pa + i * strideA, lda: max(ac, 1), b: pb + i * strideB, ldb: max(bc, 1),
                                beta: first ? T(beta) : 1, c: pc + i * strideC, ldc: max(n, 1))
            }
            if batch == 0 && beta == 0 { pc.update(repeating: 0, count: c.count) }   // an empty sum
        }
        switch c.dtype {
        case .float32: run(Float.self)
        case .float64: run(Double.self)
        case .int64: preconditionFailure("gemm on int64")
        }
    }
}
