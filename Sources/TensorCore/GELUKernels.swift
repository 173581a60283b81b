// GELU with the tanh approximation (PyTorch's `gelu(x, approximate='tanh')`, GPT-2's activation):
// `y = ½x(1 + tanh u)` with `u = √(2/π)(x + 0.044715x³)`, computed as `y = x·σ(2u)`, the same value
// without the cancellation of 1 + tanh u for negative x; `dy/dx = s + x·s(1 − s)·2u'` with
// `s = σ(2u)`, `u' = √(2/π)(1 + 3·0.044715x²)`. Float runs eight lanes at a time with `exp8` (the
// exact erf GELU takes libm's erff per element, a third of a small transformer's step); Double, libm.

@usableFromInline let geluTanhScale = 0.797_884_560_802_865_4      // √(2/π)
@usableFromInline let geluTanhCubic = 0.044_715

/// `(s, 1 − s, 2u′)` with `s = σ(2u)`, of eight inputs. With `a = e^(−|2u|)` ∈ (0, 1], σ of a
/// non-negative argument is `1/(1 + a)` and of a negative one `a/(1 + a)`, the other being 1 − s:
/// neither is formed as a difference (1 − s from a rounded s would lose the digits of a small 1 − s)
/// and nothing overflows.
@_transparent
func geluTanhParts(_ x: SIMD8<Float>) -> (s: SIMD8<Float>, complement: SIMD8<Float>, slope: SIMD8<Float>) {
    let k0 = Float(geluTanhScale), k1 = Float(geluTanhCubic)
    let x2 = x * x
    let twoU = 2 * k0 * x * (1 + k1 * x2)
    let negative = twoU .< 0
    let a = exp8(twoU.replacing(with: -twoU, where: .!negative))
    let whole = 1 / (1 + a), part = a * whole
    return (whole.replacing(with: part, where: negative), part.replacing(with: whole, where: negative), 2 * k0 * (1 + 3 * k1 * x2))
}

@inline(__always)
func geluTanhParts<T: TensorScalar>(_ x: T) -> (s: T, complement: T, slope: T) {
    let k0 = T(geluTanhScale), k1 = T(geluTanhCubic)
    let x2 = x * x
    let twoU = 2 * k0 * x * (1 + k1 * x2)
    let a = T.exp(-Swift.abs(twoU))
    let whole = 1 / (1 + a), part = a * whole
    return twoU < 0 ? (part, whole, 2 * k0 * (1 + 3 * k1 * x2)) : (whole, part, 2 * k0 * (1 + 3 * k1 * x2))
}

/// `gelu` and `gelu'` of the eight floats at `x + i` (those before `n`), into `y + i` and `d + i`.
@_transparent
func geluTanhWithDerivative8(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ d: UnsafeMutablePointer<Float>,
                             at i: Int, count n: Int) {
    let v = load8(x, i, n)
    let (s, complement, slope) = geluTanhParts(v)
    store8(v * s, y, i, n)
    store8(s + v * s * complement * slope, d, i, n)
}

/// Eight floats from `p + i`, zeros past `n`.
@inline(__always)
func load8(_ p: UnsafePointer<Float>, _ i: Int, _ n: Int) -> SIMD8<Float> {
    if i + 8 <= n { return UnsafeRawPointer(p + i).loadUnaligned(as: SIMD8<Float>.self) }
    var v = SIMD8<Float>(repeating: 0)
    for j in 0..<(n - i) { v[j] = p[i + j] }
    return v
}

/// Stores the lanes of `v` that fall before `n` at `p + i`.
@inline(__always)
func store8(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>, _ i: Int, _ n: Int) {
    if i + 8 <= n { UnsafeMutableRawPointer(p + i).storeBytes(of: v, as: SIMD8<Float>.self); return }
    for j in 0..<(n - i) { p[i + j] = v[j] }
}

extension Tensor {
    /// `gelu(x, approximate='tanh')` elementwise, as a new tensor.
    public static func geluTanhForward(_ x: Tensor) -> Tensor {
        let y = Tensor(uninitializedShape: x.shape, dtype: x.dtype)
        switch x.dtype {
        case .float32:
            let xp = UnsafePointer(x.floats), yp = y.floats, n = x.count
            for i in stride(from: 0, to: n, by: 8) {
                let v = load8(xp, i, n)
                store8(v * geluTanhParts(v).s, yp, i, n)
            }
        case .float64:
            let xp = x.doubles, yp = y.doubles
            for i in 0..<x.count { yp[i] = xp[i] * geluTanhParts(xp[i]).s }
        case .int64: preconditionFailure("elementwise math on an int64 tensor")
        }
        return y
    }

    /// `gelu(x, approximate='tanh')` and its derivative `gelu'(x)` elementwise, in one pass: what
    /// the training forward computes, so that the backward is one product `g ⊙ gelu'(x)` and its exps
    /// are not taken twice. Each element's derivative is `s + x·s(1 − s)·2u′` from the same `s` as
    /// its output.
    public static func geluTanhForwardWithDerivative(_ x: Tensor) -> (output: Tensor, derivative: Tensor) {
        let y = Tensor(uninitializedShape: x.shape, dtype: x.dtype)
        let d = Tensor(uninitializedShape: x.shape, dtype: x.dtype)
        switch x.dtype {
        case .float32:
            let xp = UnsafePointer(x.floats), yp = y.floats, dp = d.floats, n = x.count
            for i in stride(from: 0, to: n, by: 8) { geluTanhWithDerivative8(xp, yp, dp, at: i, count: n) }
        case .float64:
            let xp = x.doubles, yp = y.doubles, dp = d.doubles
            for i in 0..<x.count {
                let (s, complement, slope) = geluTanhParts(xp[i])
                yp[i] = xp[i] * s
                dp[i] = s + xp[i] * s * complement * slope
            }
        case .int64: preconditionFailure("elementwise math on an int64 tensor")
        }
        return (y, d)
    }
}
