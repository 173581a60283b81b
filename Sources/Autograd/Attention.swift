import TensorCore

extension Tensor {
    /// Multi-head causal self-attention as one op, from the packed projection `qkv` (B, T, 3C) =
    /// [q | k | v] that a `Linear(C, 3C)` makes: for each sample b and head h (D = C/heads columns),
    /// `y_bh = P_bh·v_bh` with `P_bh = causal_softmax(q_bh·k_bhᵀ/√D)`, the heads side by side in
    /// y (B, T, C). It is exactly this composition of ops, without their copies (heads are read in
    /// place by cblas through their row stride, and written in place):
    ///
    /// ```swift
    /// let (q, k, v) = try (qkv.slice(axis: 2, range: 0..<c), qkv.slice(axis: 2, range: c..<2 * c), qkv.slice(axis: 2, range: 2 * c..<3 * c))
    /// let split = { (x: Tensor) in try x.reshape([b, t, heads, c / heads]).transpose(1, 2) }   // (B, H, T, D)
    /// let p = try split(q).matmul(split(k), transposeOther: true).causalSoftmax(scale: 1 / Double(c / heads).squareRoot())
    /// let y = try p.matmul(split(v)).transpose(1, 2).reshape([b, t, c])
    /// ```
    ///
    /// It saves P (B, H, T, T). ∂/∂qkv per (b, h): `dv = Pᵀ·g`, `dq = dS·k/√D`, `dk = dSᵀ·q/√D` with
    /// `dS = P ⊙ (g·vᵀ − rowsum(P ⊙ g·vᵀ))` (the causal softmax rule; `Tensor.causalSelfAttentionBackward`).
    public static func causalSelfAttention(_ qkv: Tensor, heads: Int) throws -> Tensor {
        guard qkv.dtype != .int64 else {
            throw AutogradError.invalidArgument(op: "causal_self_attention", message: "expects a float32 or float64 tensor")
        }
        guard heads > 0, qkv.rank == 3, qkv.shape[2] % 3 == 0, qkv.shape[2] >= 3 * heads, (qkv.shape[2] / 3) % heads == 0 else {
            throw AutogradError.invalidArgument(
                op: "causal_self_attention",
                message: "expects (B, T, 3C) with C a positive multiple of \(heads) head\(heads == 1 ? "" : "s"), got shape \(qkv.shape)")
        }
        let f = causalSelfAttentionForward(qkv: qkv, heads: heads)
        let saved = qkv.detached()
        return try record("causal_self_attention", inputs: [qkv], output: f.output) { g in
            [causalSelfAttentionBackward(g, qkv: saved, probabilities: f.probabilities, heads: heads)]
        }
    }
}
