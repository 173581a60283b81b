import TensorCore

extension Tensor {
    /// Sum of all elements (0-D); the gradient spreads back to every element.
    public func sum() throws -> Tensor {
        let (s, dt) = (shape, dtype)
        return try Tensor.record("sum", inputs: [self], output: sumAll()) { g in
            [Tensor.full(s, g.item, dtype: dt)]
        }
    }

    /// Mean of all elements (0-D); d/dxᵢ = 1/N.
    public func mean() throws -> Tensor {
        let (s, dt, n) = (shape, dtype, Double(count))
        let out = sumAll().map(.affine(scale: 1 / n, shift: 0))
        return try Tensor.record("mean", inputs: [self], output: out) { g in
            [Tensor.full(s, g.item / n, dtype: dt)]
        }
    }

    /// Sum along `axis`; the gradient is broadcast back along it.
    public func sum(axis: Int, keepDim: Bool = false) throws -> Tensor {
        guard axis >= 0 && axis < rank else {
            throw AutogradError.invalidArgument(op: "sum", message: "axis \(axis) out of range for shape \(shape)")
        }
        let s = shape
        var kept = shape
        kept[axis] = 1
        return try Tensor.record("sum", inputs: [self], output: summed(alongAxis: axis, keepDim: keepDim)) { g in
            [Tensor.zeros(s, dtype: g.dtype).zip(g.view(kept), .add)!]
        }
    }

    /// Mean along `axis`.
    public func mean(axis: Int, keepDim: Bool = false) throws -> Tensor {
        guard axis >= 0 && axis < rank else {
            throw AutogradError.invalidArgument(op: "mean", message: "axis \(axis) out of range for shape \(shape)")
        }
        return try sum(axis: axis, keepDim: keepDim).affine(scale: 1 / Double(shape[axis]))
    }
}
