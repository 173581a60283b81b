import TensorCore

extension Tensor {
    /// Matrix product, batched as `torch.matmul`: (…, M, K)·(…, K, N) = (…, M, N), with `op(x)` the
    /// transpose of the last two axes where asked (BLAS reads it transposed; nothing is copied). The
    /// leading axes are equal, or one side is a plain matrix shared by every product. One GEMM per
    /// matrix of the batch, in order.
    /// ∂/∂a = g·op(b)ᵀ (stored transposed when `transposeSelf`: op(b)·gᵀ), ∂/∂b = op(a)ᵀ·g (when
    /// `transposeOther`: gᵀ·op(a)); the gradient of a shared matrix is summed over the batch in order.
    ///
    /// ```swift
    /// let scores = try q.matmul(k, transposeOther: true)   // (B, H, T, D)·(B, H, T, D)ᵀ = (B, H, T, T)
    /// ```
    public func matmul(_ other: Tensor, transposeSelf: Bool = false, transposeOther: Bool = false) throws -> Tensor {
        guard dtype == other.dtype else {
            throw AutogradError.dtypeMismatch(op: "matmul", lhs: dtype.rawValue, rhs: other.dtype.rawValue)
        }
        guard dtype != .int64, let outShape = Tensor.batchedProductShape(shape, transposeA: transposeSelf, other.shape,
                                                                         transposeB: transposeOther) else {
            throw AutogradError.shapeMismatch(op: "matmul", lhs: shape, rhs: other.shape)
        }
        let out = Tensor(uninitializedShape: outShape, dtype: dtype)
        Tensor.batchedGemm(self, transposeA: transposeSelf, other, transposeB: transposeOther, into: out, beta: 0)
        let (needA, needB) = (requiresGrad, other.requiresGrad)
        return try Tensor.record("matmul", inputs: [self, other], output: out) { [self] g in
            var da: Tensor?, db: Tensor?
            if needA {
                let d = Tensor(uninitializedShape: self.shape, dtype: g.dtype)
                if transposeSelf {
                    Tensor.batchedGemm(other, transposeA: transposeOther, g, transposeB: true, into: d, beta: 0)
                } else {
                    Tensor.batchedGemm(g, transposeA: false, other, transposeB: !transposeOther, into: d, beta: 0)
                }
                da = d
            }
            if needB {
                let d = Tensor(uninitializedShape: other.shape, dtype: g.dtype)
                if transposeOther {
                    Tensor.batchedGemm(g, transposeA: true, self, transposeB: transposeSelf, into: d, beta: 0)
                } else {
                    Tensor.batchedGemm(self, transposeA: !transposeSelf, g, transposeB: false, into: d, beta: 0)
                }
                db = d
            }
            return [da, db]
        }
    }

    /// The affine map of a Linear layer, `y = x·Wᵀ + b`, as one op (PyTorch's `F.linear`):
    /// x (N, in), W (out, in), b (out) → y (N, out). The bias initialises y and one GEMM adds x·Wᵀ.
    /// ∂/∂x = g·W, ∂/∂W = gᵀ·x, ∂/∂b = Σ_rows g. An input of higher rank (…, in) is the matrix of
    /// its rows (N = the product of the leading axes; a view, no copy), and y is (…, out).
    public static func linear(_ x: Tensor, weight: Tensor, bias: Tensor?) throws -> Tensor {
        guard x.rank >= 2, weight.rank == 2, x.shape[x.rank - 1] == weight.shape[1] else {
            throw AutogradError.shapeMismatch(op: "linear", lhs: x.shape, rhs: weight.shape)
        }
        guard x.dtype == weight.dtype, bias.map({ $0.dtype == x.dtype }) ?? true else {
            throw AutogradError.dtypeMismatch(op: "linear", lhs: x.dtype.rawValue, rhs: weight.dtype.rawValue)
        }
        let n = x.shape.dropLast().reduce(1, *), outFeatures = weight.shape[0], inFeatures = weight.shape[1]
        let rows = x.rank == 2 ? x : x.view([n, inFeatures])                   // (N, in)
        let outShape = Array(x.shape.dropLast()) + [outFeatures]
        let y = Tensor(uninitializedShape: outShape, dtype: x.dtype)            // (…, out)
        let y2 = x.rank == 2 ? y : y.view([n, outFeatures])                     // (N, out)
        if let bias {
            guard bias.count == outFeatures else {
                throw AutogradError.shapeMismatch(op: "linear bias", lhs: [outFeatures], rhs: bias.shape)
            }
            let rowBytes = outFeatures * x.dtype.byteWidth
            for r in 0..<n { (y.rawPointer + r * rowBytes).copyMemory(from: bias.rawPointer, byteCount: rowBytes) }
        }
        gemm(rows, transposeA: false, weight, transposeB: true, into: y2, beta: bias == nil ? 0 : 1)

        let (needX, needW, needB) = (x.requiresGrad, weight.requiresGrad, bias?.requiresGrad ?? false)
        let inputs = bias.map { [x, weight, $0] } ?? [x, weight]
        return try record("linear", inputs: inputs, output: y) { gradient in
            let g = x.rank == 2 ? gradient : gradient.view([n, outFeatures])                         // (N, out)
            let panels = linearWeightGradientPanels(outFeatures: outFeatures, inFeatures: inFeatures)
            let panelRows = { (panel: Range<Int>) in panel.lowerBound / max(inFeatures, 1) ..< panel.upperBound / max(inFeatures, 1) }
            // ∂/∂b, ∂/∂W, then ∂/∂x: written into the leaves by this rule, the parameters' gradients are
            // final (and their reduction can start) as soon as they are written, the bias's first
            // because gradient buckets follow the flat buffer from its end (weight, then bias).
            var db: Tensor?                                                                             // (out)
            if needB, let bias {
                let sum = g.summed(alongAxis: 0)
                if bias.isGradientLeaf {
                    writeLeafGradient(bias) { dst, accumulate in accumulate ? dst.addInPlace(sum) : dst.copyElements(from: sum) }
                } else {
                    db = sum
                }
            }
            var dw: Tensor?                                                                             // (out, in)
            if needW && weight.isGradientLeaf {
                writeLeafGradient(weight, inParts: panels) { dst, panel, accumulate in
                    gemm(g, transposeA: true, rows, transposeB: false, into: dst, rows: panelRows(panel), beta: accumulate ? 1 : 0)
                }
            } else if needW {
                let out = Tensor(uninitializedShape: weight.shape, dtype: weight.dtype)
                for panel in panels { gemm(g, transposeA: true, rows, transposeB: false, into: out, rows: panelRows(panel), beta: 0) }
                dw = out
            }
            var dx = needX ? g.matrixProduct(weight, transposeSelf: false, transposeOther: false)! : nil   // (N, in)
            if x.rank > 2 { dx = dx?.view(x.shape) }                                                    // (…, in)
            return bias == nil ? [dx, dw] : [dx, dw, db]
        }
    }

    /// The row panels in which `linear` computes a weight gradient (out, in), as element ranges in the
    /// order it writes them: panels of `max(256, ⌈2¹⁸ / in⌉)` rows cut from row 0, written last first.
    ///
    /// A weight of up to 256 rows is one panel. A bigger one is written a panel at a time, each
    /// reported final as soon as it is written (`writeLeafGradient(_:inParts:)`), so that the first
    /// layer's gradient — the last one backward finishes — can be reduced in pieces while its GEMM
    /// still runs. The cut depends on the shape alone, never on the world size, buckets or overlap:
    /// OpenBLAS rounds a panel's rows differently from the same rows of one whole GEMM, so the panels
    /// are always used. At least 256 rows per panel keeps the repacking of `x` per panel under 1 % of
    /// the GEMM; last first keeps buckets, which follow backward from the end of the flat buffer,
    /// finishing in order.
    ///
    /// ```swift
    /// Tensor.linearWeightGradientPanels(outFeatures: 1024, inFeatures: 1024)
    /// // [786432..<1048576, 524288..<786432, 262144..<524288, 0..<262144]: rows 768… first
    /// Tensor.linearWeightGradientPanels(outFeatures: 64, inFeatures: 20)   // [0..<1280]
    /// ```
    public static func linearWeightGradientPanels(outFeatures: Int, inFeatures: Int) -> [Range<Int>] {
        let rows = max(256, ((1 << 18) + inFeatures - 1) / max(inFeatures, 1))
        return stride(from: 0, to: outFeatures, by: rows).reversed().map { r in
            r * inFeatures ..< min(r + rows, outFeatures) * inFeatures
        }
    }
}
