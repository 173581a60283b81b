import TensorCore

extension Tensor {
    /// Matrix product (M, K)·(K, N) = (M, N); ∂/∂a = g·bᵀ, ∂/∂b = aᵀ·g (BLAS reads the transposes).
    public func matmul(_ other: Tensor) throws -> Tensor {
        guard dtype == other.dtype else {
            throw AutogradError.dtypeMismatch(op: "matmul", lhs: dtype.rawValue, rhs: other.dtype.rawValue)
        }
        guard let out = matrixProduct(other, transposeSelf: false, transposeOther: false) else {
            throw AutogradError.shapeMismatch(op: "matmul", lhs: shape, rhs: other.shape)
        }
        let (needA, needB) = (requiresGrad, other.requiresGrad)
        return try Tensor.record("matmul", inputs: [self, other], output: out) { [self] g in
            [needA ? g.matrixProduct(other, transposeSelf: false, transposeOther: true)! : nil,
             needB ? self.matrixProduct(g, transposeSelf: true, transposeOther: false)! : nil]
        }
    }

    /// The affine map of a Linear layer, `y = x·Wᵀ + b`, as one op (PyTorch's `F.linear`):
    /// x (N, in), W (out, in), b (out) → y (N, out). The bias initialises y and one GEMM adds x·Wᵀ.
    /// ∂/∂x = g·W, ∂/∂W = gᵀ·x, ∂/∂b = Σ_rows g.
    public static func linear(_ x: Tensor, weight: Tensor, bias: Tensor?) throws -> Tensor {
        guard x.rank == 2, weight.rank == 2, x.shape[1] == weight.shape[1] else {
            throw AutogradError.shapeMismatch(op: "linear", lhs: x.shape, rhs: weight.shape)
        }
        guard x.dtype == weight.dtype, bias.map({ $0.dtype == x.dtype }) ?? true else {
            throw AutogradError.dtypeMismatch(op: "linear", lhs: x.dtype.rawValue, rhs: weight.dtype.rawValue)
        }
        let n = x.shape[0], outFeatures = weight.shape[0]
        let y = Tensor(uninitializedShape: [n, outFeatures], dtype: x.dtype)   // (N, out)
        if let bias {
            guard bias.count == outFeatures else {
                throw AutogradError.shapeMismatch(op: "linear bias", lhs: [outFeatures], rhs: bias.shape)
            }
            let rowBytes = outFeatures * x.dtype.byteWidth
            for r in 0..<n { (y.rawPointer + r * rowBytes).copyMemory(from: bias.rawPointer, byteCount: rowBytes) }
        }
        gemm(x, transposeA: false, weight, transposeB: true, into: y, beta: bias == nil ? 0 : 1)

        let (needX, needW, needB) = (x.requiresGrad, weight.requiresGrad, bias?.requiresGrad ?? false)
        let inputs = bias.map { [x, weight, $0] } ?? [x, weight]
        return try record("linear", inputs: inputs, output: y) { g in                     // g (N, out)
            let dx = needX ? g.matrixProduct(weight, transposeSelf: false, transposeOther: false)! : nil   // (N, in)
            var dw: Tensor?                                                                             // (out, in)
            if needW && weight.isGradientLeaf {
                writeLeafGradient(weight) { dst, accumulate in gemm(g, transposeA: true, x, transposeB: false, into: dst, beta: accumulate ? 1 : 0) }
            } else if needW {
                dw = g.matrixProduct(x, transposeSelf: true, transposeOther: false)!
            }
            guard bias != nil else { return [dx, dw] }
            return [dx, dw, needB ? g.summed(alongAxis: 0) : nil]                                         // (out)
        }
    }
}
