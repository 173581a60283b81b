#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What a batch-normalisation forward pass leaves for its backward and for running statistics.
public struct BatchNormForward {
    /// Normalised output `γ·x̂ + β`, (N, C).
    public let output: Tensor
    /// `x̂ = (x − mean) / √(var + ε)`, (N, C).
    public let normalized: Tensor
    /// Per-feature `1 / √(var + ε)`, (C).
    public let inverseStd: Tensor
    /// Per-feature batch mean and biased batch variance, (C) each.
    public let mean: Tensor
    public let variance: Tensor
}

/// Runs `body` with γ and β as plain pointers, ones and zeros standing in for an absent affine
/// transform, so that the per-element loops carry no optionals.
@inline(__always)
func withAffine<T: TensorScalar>(_ weight: Tensor?, _ bias: Tensor?, _ c: Int, _: T.Type,
                                 _ body: (UnsafePointer<T>, UnsafePointer<T>) -> Void) {
    if let weight, let bias {   // the usual case: nothing to stand in, no scratch to allocate
        body(UnsafePointer(weight.pointer(as: T.self)), UnsafePointer(bias.pointer(as: T.self)))
        return
    }
    let scratch = UnsafeMutablePointer<T>.allocate(capacity: 2 * c)
    defer { scratch.deallocate() }
    scratch.update(repeating: 1, count: c)
    (scratch + c).update(repeating: 0, count: c)
    body(UnsafePointer(weight?.pointer(as: T.self) ?? scratch), UnsafePointer(bias?.pointer(as: T.self) ?? scratch + c))
}

extension Tensor {
    /// Batch normalisation of an (N, C) tensor. With `runningMean`/`runningVariance` given (eval
    /// mode) those statistics are used; otherwise the batch's own (train mode).
    /// `weight`/`bias` are γ and β, (C) each, or nil for an affine-free layer.
    public static func batchNormForward(_ x: Tensor, weight: Tensor?, bias: Tensor?, epsilon: Double,
                                        runningMean: Tensor? = nil, runningVariance: Tensor? = nil) -> BatchNormForward {
        precondition(x.rank == 2, "batch norm expects (N, C), got \(x.shape)")
        let n = x.shape[0], c = x.shape[1]
        let out = Tensor(uninitializedShape: x.shape, dtype: x.dtype)
        let xhat = Tensor(uninitializedShape: x.shape, dtype: x.dtype)
        let inv = Tensor(uninitializedShape: [c], dtype: x.dtype)
        let mean = Tensor(uninitializedShape: [c], dtype: x.dtype)
        let variance = Tensor(uninitializedShape: [c], dtype: x.dtype)
        func run<T: TensorScalar>(_: T.Type) {
            let xp = x.pointer(as: T.self), yp = out.pointer(as: T.self), hp = xhat.pointer(as: T.self)
            let ip = inv.pointer(as: T.self), mp = mean.pointer(as: T.self), vp = variance.pointer(as: T.self)
            if let rm = runningMean, let rv = runningVariance {
                mp.update(from: rm.pointer(as: T.self), count: c)
                vp.update(from: rv.pointer(as: T.self), count: c)
            } else {
                // Two passes in Double over contiguous rows: the mean first, then the centred second moment.
                let s = UnsafeMutablePointer<Double>.allocate(capacity: 2 * c)
                defer { s.deallocate() }
                let q = s + c
                s.update(repeating: 0, count: 2 * c)
                for i in 0..<n { let row = xp + i * c; for j in 0..<c { s[j] += Double(row[j]) } }
                for j in 0..<c { s[j] /= Double(n) }
                for i in 0..<n { let row = xp + i * c; for j in 0..<c { let d = Double(row[j]) - s[j]; q[j] += d * d } }
                for j in 0..<c { mp[j] = T(s[j]); vp[j] = T(q[j] / Double(n)) }
            }
            for j in 0..<c { ip[j] = T(1 / (Double(vp[j]) + epsilon).squareRoot()) }
            withAffine(weight, bias, c, T.self) { w, b in
                for i in 0..<n {
                    let row = xp + i * c, h = hp + i * c, y = yp + i * c
                    for j in 0..<c {
                        let v = (row[j] - mp[j]) * ip[j]
                        h[j] = v
                        y[j] = v * w[j] + b[j]
                    }
                }
            }
        }
        switch x.dtype {
        case .float32: run(Float.self)
        case .float64: run(Double.self)
        case .int64: preconditionFailure("batch norm of int64")
        }
        return BatchNormForward(output: out, normalized: xhat, inverseStd: inv, mean: mean, variance: variance)
    }

    /// Gradients of batch normalisation: `(dx, dγ, dβ)` from `dy`.
    /// With batch statistics (`usedBatchStatistics`) the mean and variance depend on x:
    /// `dx = γ·inv/N · (N·dy − Σdy − x̂·Σ(dy·x̂))`; with running statistics `dx = γ·inv·dy`.
    public static func batchNormBackward(_ dy: Tensor, normalized xhat: Tensor, inverseStd inv: Tensor,
                                         weight: Tensor?, usedBatchStatistics: Bool) -> (dx: Tensor, dWeight: Tensor, dBias: Tensor) {
        let n = dy.shape[0], c = dy.shape[1]
        let dx = Tensor(uninitializedShape: dy.shape, dtype: dy.dtype)
        let dw = Tensor(uninitializedShape: [c], dtype: dy.dtype)
        let db = Tensor(uninitializedShape: [c], dtype: dy.dtype)
        func run<T: TensorScalar>(_: T.Type) {
            let g = dy.pointer(as: T.self), h = xhat.pointer(as: T.self), ip = inv.pointer(as: T.self)
            let dxp = dx.pointer(as: T.self), dwp = dw.pointer(as: T.self), dbp = db.pointer(as: T.self)
            let sums = UnsafeMutablePointer<Double>.allocate(capacity: 2 * c)
            defer { sums.deallocate() }
            let sumG = sums, sumGH = sums + c
            sums.update(repeating: 0, count: 2 * c)
            for i in 0..<n {
                let gr = g + i * c, hr = h + i * c
                for j in 0..<c {
                    let gv = Double(gr[j])
                    sumG[j] += gv
                    sumGH[j] += gv * Double(hr[j])
                }
            }
            for j in 0..<c { dwp[j] = T(sumGH[j]); dbp[j] = T(sumG[j]) }
            // β plays no part here; γ is passed in its place so that no scratch is allocated.
            withAffine(weight, weight, c, T.self) { w, _ in
                if usedBatchStatistics {
                    let count = T(n)
                    let scale = UnsafeMutablePointer<T>.allocate(capacity: 3 * c)
                    defer { scale.deallocate() }
                    let sg = scale + c, sgh = scale + 2 * c
                    for j in 0..<c { scale[j] = w[j] * ip[j] / count; sg[j] = T(sumG[j]); sgh[j] = T(sumGH[j]) }
                    for i in 0..<n {
                        let gr = g + i * c, hr = h + i * c, out = dxp + i * c
                        for j in 0..<c { out[j] = scale[j] * (count * gr[j] - sg[j] - hr[j] * sgh[j]) }
                    }
                } else {
                    for i in 0..<n {
                        let gr = g + i * c, out = dxp + i * c
                        for j in 0..<c { out[j] = gr[j] * w[j] * ip[j] }
                    }
                }
            }
        }
        switch dy.dtype {
        case .float32: run(Float.self)
        case .float64: run(Double.self)
        case .int64: preconditionFailure("batch norm of int64")
        }
        return (dx, dw, db)
    }

    /// Layer normalisation over the last axis (rows of C, any leading axes): returns `(y, x̂, inverseStd (N))`.
    /// Per row, in Double: the mean, then the centred second moment; `x̂ = (x − mean)·inv` rounded to the
    /// element type, `y = x̂·γ + β` (γ = 1, β = 0 without affine terms).
    public static func layerNormForward(_ x: Tensor, weight: Tensor?, bias: Tensor?, epsilon: Double)
        -> (output: Tensor, normalized: Tensor, inverseStd: Tensor) {
        let c = x.shape.last!, n = x.count / max(c, 1)
        let out = Tensor(uninitializedShape: x.shape, dtype: x.dtype)
        let xhat = Tensor(uninitializedShape: x.shape, dtype: x.dtype)
        let inv = Tensor(uninitializedShape: [n], dtype: x.dtype)
        func run<T: TensorScalar>(_: T.Type) {
            let xp = x.pointer(as: T.self), yp = out.pointer(as: T.self), hp = xhat.pointer(as: T.self), ip = inv.pointer(as: T.self)
            withAffine(weight, bias, c, T.self) { w, b in
                if T.self == Float.self && c % 8 == 0 {
                    func f(_ p: UnsafePointer<T>) -> UnsafePointer<Float> { UnsafeRawPointer(p).assumingMemoryBound(to: Float.self) }
                    func m(_ p: UnsafeMutablePointer<T>) -> UnsafeMutablePointer<Float> { UnsafeMutableRawPointer(p).assumingMemoryBound(to: Float.self) }
                    return layerNormForwardRows(f(xp), f(w), f(b), y: m(yp), normalized: m(hp), inverseStd: m(ip),
                                                rows: n, columns: c, epsilon: epsilon)
                }
                for i in 0..<n {
                    let row = xp + i * c, h = hp + i * c, y = yp + i * c
                    var s = 0.0
                    for j in 0..<c { s += Double(row[j]) }
                    let m = s / Double(c)
                    var q = 0.0
                    for j in 0..<c { let d = Double(row[j]) - m; q += d * d }
                    let r = 1 / (q / Double(c) + epsilon).squareRoot()
                    ip[i] = T(r)
                    for j in 0..<c {
                        let v = T((Double(row[j]) - m) * r)
                        h[j] = v
                        y[j] = v * w[j] + b[j]
                    }
                }
            }
        }
        switch x.dtype {
        case .float32: run(Float.self)
        case .float64: run(Double.self)
        case .int64: preconditionFailure("layer norm of int64")
        }
        return (out, xhat, inv)
    }

    /// Gradients of layer normalisation: per row, `dx = inv/C · (C·ĝ − Σĝ − x̂·Σ(ĝ·x̂))` with `ĝ = γ·dy`,
    /// in Double; `dγ = Σ_rows dy·x̂`, `dβ = Σ_rows dy`, accumulated in Double in row order.
    public static func layerNormBackward(_ dy: Tensor, normalized xhat: Tensor, inverseStd inv: Tensor,
                                         weight: Tensor?) -> (dx: Tensor, dWeight: Tensor, dBias: Tensor) {
        let c = dy.shape.last!, n = dy.count / max(c, 1)
        let dx = Tensor(uninitializedShape: dy.shape, dtype: dy.dtype)
        let dw = Tensor(uninitializedShape: [c], dtype: dy.dtype)
        let db = Tensor(uninitializedShape: [c], dtype: dy.dtype)
        func run<T: TensorScalar>(_: T.Type) {
            let g = dy.pointer(as: T.self), h = xhat.pointer(as: T.self), ip = inv.pointer(as: T.self)
            let dxp = dx.pointer(as: T.self), dwp = dw.pointer(as: T.self), dbp = db.pointer(as: T.self)
            let sums = UnsafeMutablePointer<Double>.allocate(capacity: 2 * c)   // Σ dy·x̂ and Σ dy per column
            defer { sums.deallocate() }
            let sw = sums, sb = sums + c
            sums.update(repeating: 0, count: 2 * c)
            // γ as a pointer (ones without affine terms); β is not needed, γ stands in for it.
            withAffine(weight, weight, c, T.self) { w, _ in
                if T.self == Float.self && c % 8 == 0 {
                    func f(_ p: UnsafePointer<T>) -> UnsafePointer<Float> { UnsafeRawPointer(p).assumingMemoryBound(to: Float.self) }
                    return layerNormBackwardRows(f(g), f(h), f(ip), f(w), dx: UnsafeMutableRawPointer(dxp).assumingMemoryBound(to: Float.self),
                                                 weightSums: sw, biasSums: sb, rows: n, columns: c)
                }
                for i in 0..<n {
                    let gr = g + i * c, hr = h + i * c, out = dxp + i * c
                    var sumG = 0.0, sumGH = 0.0
                    for j in 0..<c {
                        let gv = Double(gr[j]), hv = Double(hr[j])
                        sw[j] += gv * hv
                        sb[j] += gv
                        let gh = gv * Double(w[j])
                        sumG += gh
                        sumGH += gh * hv
                    }
                    let r = Double(ip[i]) / Double(c)
                    for j in 0..<c {
                        let gh = Double(gr[j]) * Double(w[j])
                        out[j] = T(r * (Double(c) * gh - sumG - Double(hr[j]) * sumGH))
                    }
                }
            }
            for j in 0..<c { dwp[j] = T(sw[j]); dbp[j] = T(sb[j]) }
        }
        switch dy.dtype {
        case .float32: run(Float.self)
        case .float64: run(Double.self)
        case .int64: preconditionFailure("layer norm of int64")
        }
        return (dx, dw, db)
    }
}

// Float32 layer norm over rows of a multiple of 8 columns, eight lanes at a time: a row's sums are
// eight lane sums added in a fixed order at the end, not one running sum (whose chain of dependent
// additions made these kernels latency-bound, ~4 cycles an element), so the bits depend on the row
// alone. The column sums of the backward (dγ, dβ) stay in Double, row by row, as for any width.

/// The forward of `layerNormForward` for float32 rows of `columns` (a multiple of 8): per row the
/// mean, then the centred second moment (each in eight lanes), `inv = 1/√(var + ε)` in Double,
/// `x̂ = (x − mean)·inv`, `y = x̂·γ + β`.
@inline(__always)
func layerNormForwardRows(_ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
                          y: UnsafeMutablePointer<Float>, normalized h: UnsafeMutablePointer<Float>,
                          inverseStd ip: UnsafeMutablePointer<Float>, rows n: Int, columns c: Int, epsilon: Double) {
    @inline(__always) func load(_ p: UnsafePointer<Float>, _ j: Int) -> SIMD8<Float> { UnsafeRawPointer(p + j).loadUnaligned(as: SIMD8<Float>.self) }
    @inline(__always) func store(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>, _ j: Int) {
        UnsafeMutableRawPointer(p + j).storeBytes(of: v, as: SIMD8<Float>.self)
    }
    let count = Float(c)
    for i in 0..<n {
        let row = x + i * c, hr = h + i * c, yr = y + i * c
        var s8 = SIMD8<Float>(repeating: 0)
        for j in stride(from: 0, to: c, by: 8) { s8 += load(row, j) }
        let mean = SIMD8<Float>(repeating: laneSum(s8) / count)
        var q8 = SIMD8<Float>(repeating: 0)
        for j in stride(from: 0, to: c, by: 8) { let d = load(row, j) - mean; q8 += d * d }
        let r = Float(1 / (Double(laneSum(q8) / count) + epsilon).squareRoot())
        ip[i] = r
        let r8 = SIMD8<Float>(repeating: r)
        for j in stride(from: 0, to: c, by: 8) {
            let v = (load(row, j) - mean) * r8
            store(v, hr, j)
            store(v * load(w, j) + load(b, j), yr, j)
        }
    }
}

/// The backward of `layerNormBackward` for float32 rows of `columns` (a multiple of 8): per row,
/// with `ĝ = γ·g`, `dx = inv/C · (C·ĝ − Σĝ − x̂·Σ(ĝ·x̂))`, the sums in eight lanes; `weightSums` and
/// `biasSums` (Double, C each) receive Σ g·x̂ and Σ g column by column in row order.
@inline(__always)
func layerNormBackwardRows(_ g: UnsafePointer<Float>, _ h: UnsafePointer<Float>, _ ip: UnsafePointer<Float>,
                           _ w: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>,
                           weightSums sw: UnsafeMutablePointer<Double>, biasSums sb: UnsafeMutablePointer<Double>,
                           rows n: Int, columns c: Int) {
    @inline(__always) func load(_ p: UnsafePointer<Float>, _ j: Int) -> SIMD8<Float> { UnsafeRawPointer(p + j).loadUnaligned(as: SIMD8<Float>.self) }
    let count = SIMD8<Float>(repeating: Float(c))
    for i in 0..<n {
        let gr = g + i * c, hr = h + i * c, out = dx + i * c
        for j in 0..<c {
            let gv = Double(gr[j])
            sw[j] += gv * Double(hr[j])
            sb[j] += gv
        }
        var sumG8 = SIMD8<Float>(repeating: 0), sumGH8 = SIMD8<Float>(repeating: 0)
        for j in stride(from: 0, to: c, by: 8) {
            let gh = load(gr, j) * load(w, j)
            sumG8 += gh
            sumGH8 += gh * load(hr, j)
        }
        let sumG = SIMD8<Float>(repeating: laneSum(sumG8)), sumGH = SIMD8<Float>(repeating: laneSum(sumGH8))
        let r = SIMD8<Float>(repeating: ip[i] / Float(c))
        for j in stride(from: 0, to: c, by: 8) {
            let gh = load(gr, j) * load(w, j)
            UnsafeMutableRawPointer(out + j).storeBytes(of: r * (count * gh - sumG - load(hr, j) * sumGH), as: SIMD8<Float>.self)
        }
    }
}
