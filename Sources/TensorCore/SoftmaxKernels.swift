// Softmax and log-softmax along one axis, stable (each row's maximum is subtracted before exp), with
// an optional scale folded in (`softmax(scale·x)`, attention's 1/√d) and a causal form for square
// score matrices. Every row is computed alone, contiguous (a row along an inner axis is gathered into
// a scratch row first), in float32 eight lanes at a time with `exp8`, its sums in a fixed order, so
// the bits depend only on the row.

/// `y = softmax(scale·x)` (or `log_softmax`) of a contiguous row; `x` and `y` may be the same memory.
@inline(__always)
func softmaxRow<T: TensorScalar>(_ x: UnsafePointer<T>, _ y: UnsafeMutablePointer<T>, count n: Int, scale: T, log: Bool) {
    if T.self == Float.self {
        let xf = UnsafeRawPointer(x).assumingMemoryBound(to: Float.self)
        let yf = UnsafeMutableRawPointer(y).assumingMemoryBound(to: Float.self)
        return softmaxRow(xf, yf, count: n, scale: Float(scale), log: log)
    }
    var m = -T.infinity
    for j in 0..<n { m = Swift.max(m, scale * x[j]) }
    var s = T.zero
    if log {
        for j in 0..<n { s += T.exp(scale * x[j] - m) }
        let lse = m + T.log(s)
        for j in 0..<n { y[j] = scale * x[j] - lse }
    } else {
        for j in 0..<n {
            let e = T.exp(scale * x[j] - m)
            y[j] = e
            s += e
        }
        let r = 1 / s
        for j in 0..<n { y[j] *= r }
    }
}

/// The float32 row, eight lanes at a time (the last chunk masked): the maximum (exact in any order),
/// `e = exp8(scale·x − max)`, the sum of the exps as eight lane sums added in a fixed order at the
/// end, then `y = e · (1/Σ)` or `y = scale·x − (max + log Σ)`.
@inline(__always)
func softmaxRow(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count n: Int, scale: Float, log: Bool) {
    let a = SIMD8<Float>(repeating: scale)
    @inline(__always) func load(_ p: UnsafePointer<Float>, _ i: Int) -> SIMD8<Float> {
        if i + 8 <= n { return UnsafeRawPointer(p + i).loadUnaligned(as: SIMD8<Float>.self) }
        var v = SIMD8<Float>(repeating: 0)
        for j in 0..<(n - i) { v[j] = p[i + j] }
        return v
    }
    @inline(__always) func store(_ v: SIMD8<Float>, _ i: Int) {
        if i + 8 <= n { UnsafeMutableRawPointer(y + i).storeBytes(of: v, as: SIMD8<Float>.self); return }
        for j in 0..<(n - i) { y[i + j] = v[j] }
    }
    @inline(__always) func outside(_ i: Int) -> SIMDMask<SIMD8<Int32>> { lanes(from: n - i) }
    var m8 = SIMD8<Float>(repeating: -.infinity)
    var i = 0
    while i < n {
        var v = a * load(x, i)
        v.replace(with: -.infinity, where: outside(i))
        m8.replace(with: v, where: v .> m8)
        i += 8
    }
    var m = m8[0]
    for j in 1..<8 where m8[j] > m { m = m8[j] }
    let shift = SIMD8<Float>(repeating: m)
    var s8 = SIMD8<Float>(repeating: 0)
    i = 0
    while i < n {
        var e = exp8(a * load(x, i) - shift)
        e.replace(with: 0, where: outside(i))
        s8 += e
        if !log { store(e, i) }
        i += 8
    }
    let s = laneSum(s8)
    i = 0
    if log {
        let lse = SIMD8<Float>(repeating: m + Float.log(s))
        while i < n { store(a * load(x, i) - lse, i); i += 8 }
    } else {
        let r = SIMD8<Float>(repeating: 1 / s)
        while i < n { store(load(y, i) * r, i); i += 8 }
    }
}

/// The gradient of one contiguous row of `y = softmax(scale·x)`: `dx = scale · y ⊙ (g − Σ g⊙y)` (`dx`
/// may be `g`'s memory); of `y = log_softmax(scale·x)`: `dx = scale · (g − e^y · Σ g)`. The sums
/// accumulate in Double.
@inline(__always)
func softmaxGradientRow<T: TensorScalar>(_ g: UnsafePointer<T>, _ y: UnsafePointer<T>, _ dx: UnsafeMutablePointer<T>,
                                         count n: Int, scale: T, log: Bool) {
    var s = 0.0
    if log {
        for j in 0..<n { s += Double(g[j]) }
        let sum = T(s)
        dx.update(from: y, count: n)
        expInPlace(dx, n)
        for j in 0..<n { dx[j] = scale * (g[j] - dx[j] * sum) }
    } else {
        for j in 0..<n { s += Double(g[j]) * Double(y[j]) }
        let dot = T(s)
        for j in 0..<n { dx[j] = scale * y[j] * (g[j] - dot) }
    }
}

/// Causal softmax of a (t, t) matrix: row i is `softmax(scale·x[i, 0...i])`, zeros after the
/// diagonal. `x` and `y` may be the same memory.
@inline(__always)
func causalSoftmaxMatrix<T: TensorScalar>(_ x: UnsafePointer<T>, _ y: UnsafeMutablePointer<T>, size t: Int, scale: T) {
    if T.self == Float.self && t % 8 == 0 {
        let xf = UnsafeRawPointer(x).assumingMemoryBound(to: Float.self)
        let yf = UnsafeMutableRawPointer(y).assumingMemoryBound(to: Float.self)
        return causalSoftmaxMatrix(xf, yf, size: t, scale: Float(scale))
    }
    for i in 0..<t {
        softmaxRow(x + i * t, y + i * t, count: i + 1, scale: scale, log: false)
        (y + i * t + i + 1).update(repeating: 0, count: t - i - 1)
    }
}

/// The gradient of `causalSoftmaxMatrix`: the softmax rule on each row's first i + 1 elements, zeros
/// after. `dx` may be `g`'s memory.
@inline(__always)
func causalSoftmaxGradientMatrix<T: TensorScalar>(_ g: UnsafePointer<T>, _ y: UnsafePointer<T>, _ dx: UnsafeMutablePointer<T>,
                                                  size t: Int, scale: T) {
    if T.self == Float.self && t % 8 == 0 {
        let gf = UnsafeRawPointer(g).assumingMemoryBound(to: Float.self), yf = UnsafeRawPointer(y).assumingMemoryBound(to: Float.self)
        let df = UnsafeMutableRawPointer(dx).assumingMemoryBound(to: Float.self)
        return causalSoftmaxGradientMatrix(gf, yf, df, size: t, scale: Float(scale))
    }
    for i in 0..<t {
        softmaxGradientRow(g + i * t, y + i * t, dx + i * t, count: i + 1, scale: scale, log: false)
        (dx + i * t + i + 1).update(repeating: 0, count: t - i - 1)
    }
}

/// The float32 causal softmax of a (t, t) matrix with t a multiple of 8: each row as `softmaxRow`
/// computes it (the same lanes, exps, sums and order, so the same bits), but its chunks are loaded
/// and stored whole — the row's memory runs on to t — with the lanes after the diagonal masked,
/// instead of copying the last chunk element by element; the rest of the row is zeroed from the
/// end of its last chunk.
@inline(__always)
func causalSoftmaxMatrix(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, size t: Int, scale: Float) {
    let a = SIMD8<Float>(repeating: scale)
    for i in 0..<t {
        let xr = x + i * t, yr = y + i * t, n = i + 1, chunks = (n + 7) / 8
        @inline(__always) func load(_ p: UnsafePointer<Float>, _ c: Int) -> SIMD8<Float> {
            UnsafeRawPointer(p + 8 * c).loadUnaligned(as: SIMD8<Float>.self)
        }
        @inline(__always) func store(_ v: SIMD8<Float>, _ c: Int) {
            UnsafeMutableRawPointer(yr + 8 * c).storeBytes(of: v, as: SIMD8<Float>.self)
        }
        // Lanes past the diagonal are −∞ in both passes (no branch on the last chunk: with one, LLVM
        // split the exp's polynomial into scalar lanes): they do not raise the maximum, and their
        // exp is exactly 0.
        @inline(__always) func scaled(_ c: Int) -> SIMD8<Float> {
            (a * load(xr, c)).replacing(with: -.infinity, where: lanes(from: n - 8 * c))
        }
        var m8 = SIMD8<Float>(repeating: -.infinity)
        for c in 0..<chunks {
            let v = scaled(c)
            m8.replace(with: v, where: v .> m8)
        }
        var m = m8[0]
        for j in 1..<8 where m8[j] > m { m = m8[j] }
        let shift = SIMD8<Float>(repeating: m)
        var s8 = SIMD8<Float>(repeating: 0)
        for c in 0..<chunks {
            let e = exp8(scaled(c) - shift)
            s8 += e
            store(e, c)
        }
        let s = laneSum(s8)
        let r = SIMD8<Float>(repeating: 1 / s)
        for c in 0..<chunks { store(load(UnsafePointer(yr), c) * r, c) }
        (yr + 8 * chunks).update(repeating: 0, count: t - 8 * chunks)
    }
}

/// The float32 gradient of `causalSoftmaxMatrix` for t a multiple of 8: per row i,
/// `dx = scale · y ⊙ (g − Σ g⊙y)` over its first i + 1 elements, the sum taken in eight float lanes
/// added in a fixed order at the end (the lanes after the diagonal masked), zeros after; `dx` may
/// be `g`'s memory.
@inline(__always)
func causalSoftmaxGradientMatrix(_ g: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>,
                                 size t: Int, scale: Float) {
    let a = SIMD8<Float>(repeating: scale)
    for i in 0..<t {
        let gr = g + i * t, yr = y + i * t, dr = dx + i * t, n = i + 1, chunks = (n + 7) / 8
        @inline(__always) func load(_ p: UnsafePointer<Float>, _ c: Int) -> SIMD8<Float> {
            UnsafeRawPointer(p + 8 * c).loadUnaligned(as: SIMD8<Float>.self)
        }
        let outside = lanes(from: n - 8 * (chunks - 1))   // of the last chunk
        var s8 = SIMD8<Float>(repeating: 0)
        for c in 0..<chunks {
            var p = load(gr, c) * load(yr, c)
            if c == chunks - 1 { p.replace(with: 0, where: outside) }
            s8 += p
        }
        let dot = SIMD8<Float>(repeating: laneSum(s8))
        for c in 0..<chunks {
            var v = a * load(yr, c) * (load(gr, c) - dot)
            if c == chunks - 1 { v.replace(with: 0, where: outside) }
            UnsafeMutableRawPointer(dr + 8 * c).storeBytes(of: v, as: SIMD8<Float>.self)
        }
        (dr + 8 * chunks).update(repeating: 0, count: t - 8 * chunks)
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
            if inner == 1 {
                for o in 0..<outer { softmaxRow(xp + o * n, yp + o * n, count: n, scale: 1, log: log) }
                return
            }
            // Rows along an inner axis: gathered into a scratch row, computed there, scattered back.
            let row = UnsafeMutablePointer<T>.allocate(capacity: n)
            defer { row.deallocate() }
            for o in 0..<outer {
                for i in 0..<inner {
                    let at = o * n * inner + i
                    for j in 0..<n { row[j] = xp[at + j * inner] }
                    softmaxRow(row, row, count: n, scale: 1, log: log)
                    for j in 0..<n { yp[at + j * inner] = row[j] }
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
            if inner == 1 {
                for o in 0..<outer { softmaxGradientRow(gp + o * n, yp + o * n, dp + o * n, count: n, scale: 1, log: log) }
                return
            }
            let rows = UnsafeMutablePointer<T>.allocate(capacity: 3 * n)   // g, y, dx of one row
            defer { rows.deallocate() }
            let (gr, yr, dr) = (rows, rows + n, rows + 2 * n)
            for o in 0..<outer {
                for i in 0..<inner {
                    let at = o * n * inner + i
                    for j in 0..<n { gr[j] = gp[at + j * inner]; yr[j] = yp[at + j * inner] }
                    softmaxGradientRow(gr, yr, dr, count: n, scale: 1, log: log)
                    for j in 0..<n { dp[at + j * inner] = dr[j] }
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
