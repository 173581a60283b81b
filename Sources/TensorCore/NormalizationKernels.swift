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
