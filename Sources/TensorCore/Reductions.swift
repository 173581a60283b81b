// Reductions run in a fixed order that depends only on the shape, so that a micro-batch's result has
// the same bits wherever it is computed (determinism contract, rule 3). Float32 sums accumulate in
// Double and round once.

extension Tensor {
    /// Sum of all elements, as a 0-D tensor.
    public func sumAll() -> Tensor {
        let out = Tensor(uninitializedShape: [], dtype: dtype)
        switch dtype {
        case .float32:
            let x = floats
            var s = 0.0
            for i in 0..<count { s += Double(x[i]) }
            out.floats[0] = Float(s)
        case .float64:
            let x = doubles
            var s = 0.0
            for i in 0..<count { s += x[i] }
            out.doubles[0] = s
        case .int64: preconditionFailure("sum of int64")
        }
        return out
    }

    /// Sum along `axis`; the axis is kept with size 1 when `keepDim`.
    public func summed(alongAxis axis: Int, keepDim: Bool = false) -> Tensor {
        precondition(axis >= 0 && axis < rank, "axis \(axis) out of range for shape \(shape)")
        let outer = shape[..<axis].reduce(1, *), n = shape[axis], inner = shape[(axis + 1)...].reduce(1, *)
        var outShape = shape
        if keepDim { outShape[axis] = 1 } else { outShape.remove(at: axis) }
        let out = Tensor(uninitializedShape: outShape, dtype: dtype)
        func run<T: TensorScalar>(_: T.Type) {
            let x = pointer(as: T.self), y = out.pointer(as: T.self)
            if inner == 1 {
                for o in 0..<outer {
                    var s = 0.0
                    for i in 0..<n { s += Double(x[o * n + i]) }
                    y[o] = T(s)
                }
            } else {
                // Row-by-row accumulation keeps the inner loop contiguous (bias gradients: (N, C) → (C)), and
                // through a plain pointer (no bounds checks) it runs a vector of columns at a time.
                let acc = UnsafeMutablePointer<Double>.allocate(capacity: inner)
                defer { acc.deallocate() }
                for o in 0..<outer {
                    acc.update(repeating: 0, count: inner)
                    for r in 0..<n {
                        let row = x + (o * n + r) * inner
                        for i in 0..<inner { acc[i] += Double(row[i]) }
                    }
                    for i in 0..<inner { y[o * inner + i] = T(acc[i]) }
                }
            }
        }
        switch dtype {
        case .float32: run(Float.self)
        case .float64: run(Double.self)
        case .int64: preconditionFailure("sum of int64")
        }
        return out
    }

    /// Sums a broadcast result back to `target` shape: the adjoint of broadcasting, used by the
    /// backward of every broadcasting op.
    public func sumToShape(_ target: [Int]) -> Tensor {
        if shape == target { return self }
        var t = self
        // Leading dimensions that the target lacks are summed away.
        while t.rank > target.count { t = t.summed(alongAxis: 0) }
        for axis in 0..<target.count where target[axis] == 1 && t.shape[axis] != 1 {
            t = t.summed(alongAxis: axis, keepDim: true)
        }
        precondition(t.shape == target, "cannot sum \(shape) to \(target)")
        return t
    }

    /// Largest element of each row along the last axis, kept as `(…, 1)`.
    public func maxAlongLastAxis() -> Tensor {
        let n = shape.last ?? 1, rows = count / max(n, 1)
        var outShape = shape
        if outShape.isEmpty { outShape = [1] } else { outShape[outShape.count - 1] = 1 }
        let out = Tensor(uninitializedShape: outShape, dtype: dtype)
        func run<T: TensorScalar>(_: T.Type) {
            let x = pointer(as: T.self), y = out.pointer(as: T.self)
            for r in 0..<rows {
                var m = -T.infinity
                for j in 0..<n { m = Swift.max(m, x[r * n + j]) }
                y[r] = m
            }
        }
        switch dtype {
        case .float32: run(Float.self)
        case .float64: run(Double.self)
        case .int64: preconditionFailure("max of int64")
        }
        return out
    }

    /// Log-softmax along the last axis, stable (subtracts each row's maximum first): `softmaxForward`'s.
    public func logSoftmaxAlongLastAxis() -> Tensor {
        precondition(rank >= 1, "log-softmax of a scalar")
        return Tensor.softmaxForward(self, axis: rank - 1, log: true)
    }
}
