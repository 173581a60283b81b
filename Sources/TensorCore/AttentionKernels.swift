// Causal self-attention over a packed (B, T, 3C) projection [q | k | v], heads of D = C/H columns,
// without copying heads out: head h of sample b is the (T, D) block of q, k or v at column h·D, rows
// 3C apart, and cblas reads and writes it in place through its leading dimension. Per (b, h), in
// order: S = q·kᵀ (GEMM), P = causal softmax of S/√D (row i over keys 0...i), y = P·v (GEMM) into
// columns h·D of the (B, T, C) output — (B, T, H, D) laid out as (B, T, C), ready for the output
// projection.
//
// The heads' blocks of y, dq, dk and dv lie C or 3C apart, so a beta = 0 product into one of them
// would be zeroed row by row (16 floats at a time, `gemm`); those tensors are zeroed once, whole,
// and each product adds onto its block with beta = 1 — the same bits, as a product adds onto +0.
// S and dP are contiguous (T, T) blocks and take beta = 0.

/// What `causalSelfAttentionForward` leaves for its backward.
public struct AttentionForward {
    /// (B, T, C): the heads' outputs side by side.
    public let output: Tensor
    /// (B, H, T, T): the attention weights P, zero above the diagonal.
    public let probabilities: Tensor
}

extension Tensor {
    /// Causal multi-head self-attention of `qkv` (B, T, 3C) with `heads` heads of C/heads columns:
    /// `y[b, :, h] = softmax(q_bh·k_bhᵀ/√D + causal mask)·v_bh`, as PyTorch's
    /// `F.scaled_dot_product_attention(q, k, v, is_causal=True)` on the (B, H, T, D) views.
    public static func causalSelfAttentionForward(qkv: Tensor, heads: Int) -> AttentionForward {
        precondition(qkv.rank == 3 && heads > 0 && qkv.shape[2] % (3 * heads) == 0, "attention of \(qkv.shape) with \(heads) heads")
        let (b, t, c3) = (qkv.shape[0], qkv.shape[1], qkv.shape[2])
        let c = c3 / 3, d = c / heads
        let output = Tensor.zeros([b, t, c], dtype: qkv.dtype)
        let probabilities = Tensor(uninitializedShape: [b, heads, t, t], dtype: qkv.dtype)
        func run<T: TensorScalar>(_: T.Type) {
            let x = qkv.pointer(as: T.self), y = output.pointer(as: T.self), p = probabilities.pointer(as: T.self)
            let scale = T(1 / Double(d).squareRoot())
            for s in 0..<b {
                for h in 0..<heads {
                    let q = x + s * t * c3 + h * d, k = q + c, v = q + 2 * c, ph = p + (s * heads + h) * t * t
                    TensorCore.gemm(transA: false, transB: true, m: t, n: t, k: d, alpha: T(1), a: q, lda: c3, b: k, ldb: c3,
                         beta: T(0), c: ph, ldc: max(t, 1))
                    causalSoftmaxMatrix(ph, ph, size: t, scale: scale)
                    TensorCore.gemm(transA: false, transB: false, m: t, n: d, k: t, alpha: T(1), a: ph, lda: max(t, 1), b: v, ldb: c3,
                         beta: T(1), c: y + s * t * c + h * d, ldc: c)
                }
            }
        }
        switch qkv.dtype {
        case .float32: run(Float.self)
        case .float64: run(Double.self)
        case .int64: preconditionFailure("attention of int64")
        }
        return AttentionForward(output: output, probabilities: probabilities)
    }

    /// The gradient of `causalSelfAttentionForward` with respect to `qkv`, from the output gradient
    /// `g` (B, T, C) and the saved P. Per (b, h), with S the scaled scores:
    /// `dv = Pᵀ·g`, `dP = g·vᵀ`, `dS = P ⊙ (dP − rowsum(dP ⊙ P))` (causal softmax rule, zero above the
    /// diagonal), `dq = dS·k/√D`, `dk = dSᵀ·q/√D`.
    public static func causalSelfAttentionBackward(_ g: Tensor, qkv: Tensor, probabilities: Tensor, heads: Int) -> Tensor {
        let (b, t, c3) = (qkv.shape[0], qkv.shape[1], qkv.shape[2])
        let c = c3 / 3, d = c / heads
        precondition(g.shape == [b, t, c] && probabilities.shape == [b, heads, t, t] && g.dtype == qkv.dtype)
        let dqkv = Tensor.zeros(qkv.shape, dtype: qkv.dtype)
        func run<T: TensorScalar>(_: T.Type) {
            let x = qkv.pointer(as: T.self), gy = g.pointer(as: T.self), p = probabilities.pointer(as: T.self)
            let dx = dqkv.pointer(as: T.self)
            let scale = T(1 / Double(d).squareRoot())
            let ds = UnsafeMutablePointer<T>.allocate(capacity: max(t * t, 1))   // dP, then dS, of one head
            defer { ds.deallocate() }
            let ldt = max(t, 1)
            for s in 0..<b {
                for h in 0..<heads {
                    let q = x + s * t * c3 + h * d, k = q + c, v = q + 2 * c, ph = p + (s * heads + h) * t * t
                    let dq = dx + s * t * c3 + h * d, dk = dq + c, dv = dq + 2 * c, gh = gy + s * t * c + h * d
                    TensorCore.gemm(transA: true, transB: false, m: t, n: d, k: t, alpha: T(1), a: ph, lda: ldt, b: gh, ldb: c,
                         beta: T(1), c: dv, ldc: c3)                                                      // dv = Pᵀ·g
                    TensorCore.gemm(transA: false, transB: true, m: t, n: t, k: d, alpha: T(1), a: gh, lda: c, b: v, ldb: c3,
                         beta: T(0), c: ds, ldc: ldt)                                                     // dP = g·vᵀ
                    causalSoftmaxGradientMatrix(ds, ph, ds, size: t, scale: scale)                     // dS·(1/√D)
                    TensorCore.gemm(transA: false, transB: false, m: t, n: d, k: t, alpha: T(1), a: ds, lda: ldt, b: k, ldb: c3,
                         beta: T(1), c: dq, ldc: c3)                                                      // dq
                    TensorCore.gemm(transA: true, transB: false, m: t, n: d, k: t, alpha: T(1), a: ds, lda: ldt, b: q, ldb: c3,
                         beta: T(1), c: dk, ldc: c3)                                                      // dk
                }
            }
        }
        switch qkv.dtype {
        case .float32: run(Float.self)
        case .float64: run(Double.self)
        case .int64: preconditionFailure("attention of int64")
        }
        return dqkv
    }
}
