// eˣ over a buffer, eight floats at a time: the exps of softmax, log-softmax and cross-entropy, which
// glibc's scalar expf made the larger part of an attention layer's forward (3.7 ns an element).
//
// eˣ = 2ⁿ · eʳ with n = round(x / ln 2) and r = x − n·ln 2 (ln 2 in two parts, so that n·ln2_hi is
// exact), |r| ≤ ln 2 / 2; eʳ by its Taylor polynomial to degree 7 (truncation < 1e-8 relative); 2ⁿ
// written into the exponent bits. Within 2 ulp of the correctly rounded result on [−87.3, 88.3]
// (`VectorExpTests`); 0 below −87.34 (no subnormal results), +∞ above 88.72, NaN for NaN. Every
// element goes through the same eight-lane code, the last few padded: a value's result never depends
// on where it sits in the buffer.

/// `p[i] = eᵖ⁽ⁱ⁾` in place. Float runs the vector code above; Double, libm's `exp` (gradient checks).
@inline(__always)
func expInPlace<T: TensorScalar>(_ p: UnsafeMutablePointer<T>, _ n: Int) {
    if T.self == Float.self {
        p.withMemoryRebound(to: Float.self, capacity: n) { vectorExp($0, n) }
    } else {
        for i in 0..<n { p[i] = T.exp(p[i]) }
    }
}

@inline(__always)
func vectorExp(_ p: UnsafeMutablePointer<Float>, _ n: Int) {
    var i = 0
    while i + 8 <= n {
        let x = UnsafeRawPointer(p + i).loadUnaligned(as: SIMD8<Float>.self)
        UnsafeMutableRawPointer(p + i).storeBytes(of: exp8(x), as: SIMD8<Float>.self)
        i += 8
    }
    if i < n {
        var x = SIMD8<Float>(repeating: 0)
        for j in 0..<(n - i) { x[j] = p[i + j] }
        let y = exp8(x)
        for j in 0..<(n - i) { p[i + j] = y[j] }
    }
}

/// eˣ of eight floats. (Clamps and caps are compares and blends: `pointwiseMin`/`clamped` and
/// `rounded` are not inlined and cost more than the rest together.)
@_transparent
func exp8(_ x: SIMD8<Float>) -> SIMD8<Float> {
    let low = SIMD8<Float>(repeating: -87.336_54), high = SIMD8<Float>(repeating: 88.722_83)
    let clamped = x.replacing(with: low, where: x .< low).replacing(with: high, where: x .> high)
    // n = round(x / ln 2): adding 1.5·2²³ rounds to an integer (to even), which then sits in the low
    // bits of the sum. n is capped at 127 so that 2ⁿ is a normal float.
    let magic = SIMD8<Float>(repeating: 12_582_912)
    let shifted = clamped * 1.442_695_0 + magic
    let cap = SIMD8<Float>(repeating: 127)
    var n = shifted - magic
    n.replace(with: cap, where: n .> cap)
    // ln 2 = 0.693359375 − 2.12194440e-4: the first part has 9 significant bits, so n·ln2_hi is exact.
    let r = (clamped - n * 0.693_359_375) - n * -2.121_944_4e-4
    // eʳ = 1 + r + r²/2! + … + r⁷/7!, in Estrin's grouping (four pairs, then r² and r⁴): a chain of
    // five dependent operations instead of Horner's fourteen.
    let r2 = r * r, r4 = r2 * r2
    let p01 = r + 1, p23 = r * (1 / 6) + 0.5, p45 = r * (1 / 120) + (1 / 24), p67 = r * (1 / 5040) + (1 / 720)
    let q = (p01 + r2 * p23) + r4 * (p45 + r2 * p67)
    var e = unsafeBitCast(shifted, to: SIMD8<Int32>.self) &- unsafeBitCast(magic, to: SIMD8<Int32>.self)
    let intCap = SIMD8<Int32>(repeating: 127)
    e.replace(with: intCap, where: e .> intCap)
    var y = q * unsafeBitCast((e &+ 127) &<< 23, to: SIMD8<Float>.self)
    y.replace(with: 0, where: x .< low)
    y.replace(with: .infinity, where: x .> high)
    y.replace(with: x, where: x .!= x)                     // NaN stays NaN
    return y
}
