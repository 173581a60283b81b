// Softmax and log-softmax along one axis, stable (each row's maximum is subtracted before exp), with
// an optional scale folded in (`softmax(scale·x)`, attention's 1/√d) and a causal form for square
// score matrices. A row is `n` elements `stride` apart; every row is computed alone, in index order,
// so the bits depend only on the row.

/// `y = softmax(scale·x)` (or `log_softmax`) of one row; `x` and `y` may be the same memory.
@inline(__always)
func softmaxRow<T: TensorScalar>(_ x: UnsafePointer<T>, _ y: UnsafeMutablePointer<T>, count n: Int, stride: Int,
                                 scale: T, log: Bool) {
    var m = -T.infinity
    for j in 0..<n { m = Swift.max(m, scale * x[j * stride]) }
    var s = T.zero
    if log {
        for j in 0..<n { s += T.exp(scale * x[j * stride] - m) }
        let lse = m + T.log(s)
        for j in 0..<n { y[j * stride] = scale * x[j * stride] - lse }
    } else {
        for j in 0..<n {
            let e = T.exp(scale * x[j * stride] - m)
            y[j * stride] = e
            s += e
        }
        let r = 1 / s
        for j in 0..<n { y[j * stride] *= r }
    }
}

/// The gradient of one row of `y = softmax(scale·x)`: `dx = scale · y ⊙ (g − Σ g⊙y)`; of
/// `y = log_softmax(scale·x)`: `dx = scale · (g − e^y · Σ g)`. The sums accumulate in Double.
@inline(__always)
func softmaxGradientRow<T: TensorScalar>(_ g: UnsafePointer<T>, _ y: UnsafePointer<T>, _ dx: UnsafeMutablePointer<T>,
                                         count n: Int, stride: Int, scale: T, log: Bool) {
    var s = 0.0
    if log {
        for j in 0..<n { s += Double(g[j * stride]) }
        let sum = T(s)
        for j in 0..<n { dx[j * stride] = scale * (g[j * stride] - T.exp(y[j * stride]) * sum) }
    } else {
        for j in 0..<n { s += Double(g[j * stride]) * Double(y[j * stride]) }
        let dot = T(s)
        for j in 0..<n { dx[j * stride] = scale * y[j * stride] * (g[j * stride] - dot) }
    }
}

/// Causal softmax of a (t, t) matrix: row i is `softmax(scale·x[i, 0...i])`, zeros after the
/// diagonal. `x` and `y` may be the same memory.
@inline(__always)
func causalSoftmaxMatrix<T: TensorScalar>(_ x: UnsafePointer<T>, _ y: UnsafeMutablePointer<T>, size t: Int, scale: T) {
    for i in 0..<t {
        softmaxRow(x + i * t, y + i * t, count: i + 1, stride: 1, scale: scale, log: false)
        (y + i * t + i + 1).update(repeating: 0, count: t - i - 1)
    }
}

/// The gradient of `causalSoftmaxMatrix`: the softmax rule on each row's first i + 1 elements, zeros after.
@inline(__always)
func causalSoftmaxGradientMatrix<T: TensorScalar>(_ g: UnsafePointer<T>, _ y: UnsafePointer<T>, _ dx: UnsafeMutablePointer<T>,
                                                  size t: Int, scale: T) {
    for i in 0..<t {
        softmaxGradientRow(g + i * t, y + i * t, dx + i * t, count: i + 1, stride: 1, scale: scale, log: false)
        (dx + i * t + i + 1).update(repeating: 0, count: t - i - 1)
    }
}

extension Tensor {
    /// `softmax(x)` (or `log_softmax(x)`) along `axis`, as a new tensor.
    public static func softmaxForward(_ x: Tensor, axis: Int, log: Bool) -> Tensor {
        precondition(axis >= 0 && axis < x.rank, "axis \(axis) of \(x.shape)")
        let y = Tensor(uninitializedShape: x.shape, dtype: x.dtype)
        let (outer, n, inner) = x.around(axis: axis)
        func run<T: TensorScalar>(_: T.Type) {
            let xp = x.pointer(as: T.self), yp = y.pointer(as: T.self)
            for o in 0..<outer {
                for i in 0..<inner {
                    let at = o * n * inner + i
                    softmaxRow(xp + at, yp + at, count: n, stride: inner, scale: 1, log: log)
                }
            }
        }
        switch x.dtype {
        case .float32: run(Float.self)
        case .float64: run(Double.self)
        case .int64: preconditionFailure("softmax of int64")
        }
        return y
    }

    /// The gradient of `softmaxForward` from the output gradient `g` and the forward's output `y`.
    public static func softmaxBackward(_ g: Tensor, output y: Tensor, axis: Int, log: Bool) -> Tensor {
        precondition(g.shape == y.shape && g.dtype == y.dtype && axis >= 0 && axis < y.rank)
        let dx = Tensor(uninitializedShape: y.shape, dtype: y.dtype)
        let (outer, n, inner) = y.around(axis: axis)
        func run<T: TensorScalar>(_: T.Type) {
            let gp = g.pointer(as: T.self), yp = y.pointer(as: T.self), dp = dx.pointer(as: T.self)
            for o in 0..<outer {
                for i in 0..<inner {
                    let at = o * n * inner + i
                    softmaxGradientRow(gp + at, yp + at, dp + at, count: n, stride: inner, scale: 1, log: log)
                }
            }
        }
        switch y.dtype {
        case .float32: run(Float.self)
        case .float64: run(Double.self)
        case .int64: preconditionFailure("softmax of int64")
        }
        return dx
    }

    /// Causal softmax over the last axis of (…, T, T) scores: row i is `softmax(scale·x[…, i, 0...i])`
    /// and zero after the diagonal, as `softmax((scale·x).masked_fill(future, −∞))`.
    public static func causalSoftmaxForward(_ x: Tensor, scale: Double) -> Tensor {
        let t = x.shape.last ?? 0
        precondition(x.rank >= 2 && x.shape[x.rank - 2] == t, "causal softmax of \(x.shape)")
        let y = Tensor(uninitializedShape: x.shape, dtype: x.dtype)
        func run<T: TensorScalar>(_: T.Type) {
            let xp = x.pointer(as: T.self), yp = y.pointer(as: T.self)
            for b in 0..<(x.count / max(t * t, 1)) { causalSoftmaxMatrix(xp + b * t * t, yp + b * t * t, size: t, scale: T(scale)) }
        }
        switch x.dtype {
        case .float32: run(Float.self)
        case .float64: run(Double.self)
        case .int64: preconditionFailure("softmax of int64")
        }
        return y
    }

    /// The gradient of `causalSoftmaxForward`: `dx = scale · y ⊙ (g − Σ g⊙y)` on and below the diagonal, 0 above.
    public static func causalSoftmaxBackward(_ g: Tensor, output y: Tensor, scale: Double) -> Tensor {
        precondition(g.shape == y.shape && g.dtype == y.dtype)
        let t = y.shape.last ?? 0
        let dx = Tensor(uninitializedShape: y.shape, dtype: y.dtype)
        func run<T: TensorScalar>(_: T.Type) {
            let gp = g.pointer(as: T.self), yp = y.pointer(as: T.self), dp = dx.pointer(as: T.self)
            for b in 0..<(y.count / max(t * t, 1)) {
                causalSoftmaxGradientMatrix(gp + b * t * t, yp + b * t * t, dp + b * t * t, size: t, scale: T(scale))
            }
        }
        switch y.dtype {
        case .float32: run(Float.self)
        case .float64: run(Double.self)
        case .int64: preconditionFailure("softmax of int64")
        }
        return dx
    }

    /// `(outer, n, inner)`: the products of the axes before `axis`, its size, and the axes after it.
    public func around(axis: Int) -> (outer: Int, n: Int, inner: Int) {
        (shape[..<axis].reduce(1, *), shape[axis], shape[(axis + 1)...].reduce(1, *))
    }
}
