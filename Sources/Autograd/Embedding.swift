import TensorCore

extension Tensor {
    /// Rows of `weight` (V, D) picked by `ids` (any shape; int64, or floats holding whole numbers):
    /// `weight[ids]`, of shape ids.shape + [D] (PyTorch's `F.embedding`).
    ///
    /// ∂/∂weight: zeros with each position's gradient row added into row `ids[p]`, for p = 0, 1, …
    /// in order (`Tensor.scatterAddRows`), so a row picked several times sums its gradients in one
    /// fixed order and the bits depend on the ids alone. The ids get no gradient. The rule writes the
    /// weight's gradient straight into its `.grad` (or gradient slot) when it is a leaf, as `linear` does.
    ///
    /// ```swift
    /// let x = try Tensor.embedding(ids, weight: wte) + Tensor.embedding(Tensor.arange(t), weight: wpe)   // (B, T, C)
    /// ```
    public static func embedding(_ ids: Tensor, weight: Tensor) throws -> Tensor {
        guard weight.rank == 2, weight.dtype != .int64 else {
            throw AutogradError.invalidArgument(op: "embedding", message: "expects a float (V, D) weight, got \(weight.dtype) \(weight.shape)")
        }
        let rows = weight.shape[0]
        guard let indices = ids.rowIndices(below: rows) else {
            let bad = ids.scalars.first { !($0 >= 0 && $0 < Double(rows) && $0 == $0.rounded(.towardZero)) } ?? .nan
            let shown = bad == bad.rounded(.towardZero) && Swift.abs(bad) < 1e18 ? String(Int64(bad)) : String(bad)
            throw AutogradError.invalidArgument(op: "embedding", message: "id \(shown) is not a row of the (\(rows), \(weight.shape[1])) table; ids must be whole numbers in 0..<\(rows)")
        }
        let out = gatherRows(weight, indices: indices, shape: ids.shape)
        return try record("embedding", inputs: [weight], output: out) { g in
            if weight.isGradientLeaf {
                writeLeafGradient(weight) { dst, accumulate in
                    if accumulate {
                        let fresh = Tensor.zeros(weight.shape, dtype: weight.dtype)
                        scatterAddRows(g, indices: indices, into: fresh)
                        dst.addInPlace(fresh)
                    } else {
                        dst.fill(0)
                        scatterAddRows(g, indices: indices, into: dst)
                    }
                }
                return [nil]
            }
            let dw = Tensor.zeros(weight.shape, dtype: weight.dtype)
            scatterAddRows(g, indices: indices, into: dw)
            return [dw]
        }
    }
}
