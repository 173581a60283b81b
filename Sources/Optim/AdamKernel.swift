import TensorCore
import CVectorMath

/// Adam's per-step scalars, computed in Double as PyTorch computes them in Python, then converted
/// to the parameter's element type as PyTorch casts a Python scalar to the tensor's dtype.
struct AdamCoefficients<T: TensorScalar> {
    let decoupledDecay: T?    // AdamW: 1 - lr·wd, multiplied into p first; nil when unused
    let l2WeightDecay: T?     // Adam: wd, added to the gradient; nil when unused
    let lerpWeight: T         // 1 - beta1
    let oneMinusLerpWeight: T // opmath_t(1) - weight, as ATen's lerp computes it
    let lerpWeightIsSmall: Bool
    let beta2: T
    let oneMinusBeta2: T
    let biasCorrection2Sqrt: T
    let eps: T
    let negStepSize: T        // -lr / bias_correction1
    let gradientFactor: T     // the gradient's scale (1/B fused into the update; 1: none)

    /// `step` is the parameter's count *after* this update (1 on its first step).
    init(lr: Double, beta1: Double, beta2: Double, eps: Double, weightDecay: Double,
         decoupled: Bool, step: Int, gradientScale: Double = 1) {
        gradientFactor = T(gradientScale)
        decoupledDecay = decoupled && weightDecay != 0 ? T(1 - lr * weightDecay) : nil
        l2WeightDecay = !decoupled && weightDecay != 0 ? T(weightDecay) : nil
        lerpWeight = T(1 - beta1)
        oneMinusLerpWeight = 1 - lerpWeight
        lerpWeightIsSmall = abs(lerpWeight) < 0.5
        self.beta2 = T(beta2)
        oneMinusBeta2 = T(1 - beta2)
        // Python: `1 - beta1**step`, `lr / bias_correction1`, `bias_correction2**0.5`. `**` is
        // libm's pow, not sqrt, so pow(·, 0.5) is used here too.
        let biasCorrection1 = 1 - Double.pow(beta1, Double(step))
        let biasCorrection2 = 1 - Double.pow(beta2, Double(step))
        biasCorrection2Sqrt = T(Double.pow(biasCorrection2, 0.5))
        self.eps = T(eps)
        negStepSize = T(-(lr / biasCorrection1))
    }
}

/// One Adam/AdamW update of `count` elements in a single fused pass. Each element goes through the
/// operations of `torch.optim.Adam`/`AdamW` (foreach=False, capturable=False) in the same order:
///
///     g = g·s                               grad.mul_(s)  (s = 1/B in training; ×1 changes no bit)
///     p = p·(1 − lr·wd)                     AdamW: param.mul_(1 - lr*wd)
///     d = g + wd·p                          Adam:  grad.add(param, alpha=wd)
///     m = lerp(m, d, 1 − β1)                exp_avg.lerp_(grad, 1-beta1)  (ATen's two-branch lerp)
///     v = v·β2 + ((1 − β2)·d)·d             exp_avg_sq.mul_(beta2).addcmul_(grad, grad, 1-beta2)
///     v̂ = max(v̂, v)                         amsgrad only
///     q = sqrt(v or v̂) / sqrt(bc2) + eps    denom
///     p = p + ((−step_size)·m) / q          param.addcdiv_(exp_avg, denom, value=-step_size)
///
/// Every operation rounds once, like ATen's portable (`ATEN_CPU_CAPABILITY=default`) kernels, which
/// this matches to the bit. ATen's AVX2/AVX512 kernels fuse `a + α·b` into an FMA and its CPU sqrt
/// is not always correctly rounded, so against those it differs in the last bit now and then.
/// We keep plain IEEE operations: the same bits on every CPU, which the determinism contract needs.
@inline(__always)
func adamKernel<T: TensorScalar>(param p: UnsafeMutablePointer<T>, grad g: UnsafePointer<T>,
                                 expAvg m: UnsafeMutablePointer<T>, expAvgSq v: UnsafeMutablePointer<T>,
                                 maxExpAvgSq vmax: UnsafeMutablePointer<T>?, count: Int,
                                 _ c: AdamCoefficients<T>) {
    var start = 0
    if T.self == Float.self && vmax == nil {
        // Eight elements at a time: the same operations in the same order on each lane, so the same bits.
        start = count - count % 8
        p.withMemoryRebound(to: Float.self, capacity: count) { p in
            g.withMemoryRebound(to: Float.self, capacity: count) { g in
                m.withMemoryRebound(to: Float.self, capacity: count) { m in
                    v.withMemoryRebound(to: Float.self, capacity: count) { v in
                        adamKernel8(param: p, grad: g, expAvg: m, expAvgSq: v, count: start, unsafeBitCast(c, to: AdamCoefficients<Float>.self))
                    }
                }
            }
        }
    }
    for i in start..<count {
        var d = g[i] * c.gradientFactor
        if let decay = c.decoupledDecay { p[i] = p[i] * decay }
        if let wd = c.l2WeightDecay { d = d + wd * p[i] }

        // ATen's lerp picks the form that loses least precision for the weight at hand.
        let m0 = m[i]
        let m1 = c.lerpWeightIsSmall ? m0 + c.lerpWeight * (d - m0) : d - (d - m0) * c.oneMinusLerpWeight
        m[i] = m1

        let v1 = v[i] * c.beta2 + c.oneMinusBeta2 * d * d
        v[i] = v1

        var second = v1
        if let vmax {
            // torch.maximum: NaN in either operand wins.
            let old = vmax[i]
            let larger = old.isNaN || old >= v1 ? old : v1
            vmax[i] = larger
            second = larger
        }
        let denom = second.squareRoot() / c.biasCorrection2Sqrt + c.eps
        p[i] = p[i] + c.negStepSize * m1 / denom
    }
}

/// `adamKernel` on float32 without AMSGrad, eight lanes at a time over the first `count` elements (a
/// multiple of 8): each lane goes through the scalar loop's operations in its order, one rounding
/// each (no fused multiply-add), so every element gets the bits the scalar loop gives it.
@inline(__always)
func adamKernel8(param p: UnsafeMutablePointer<Float>, grad g: UnsafePointer<Float>, expAvg m: UnsafeMutablePointer<Float>,
                 expAvgSq v: UnsafeMutablePointer<Float>, count: Int, _ c: AdamCoefficients<Float>) {
    typealias V = SIMD8<Float>
    @inline(__always) func load(_ q: UnsafePointer<Float>, _ i: Int) -> V { UnsafeRawPointer(q + i).loadUnaligned(as: V.self) }
    @inline(__always) func store(_ x: V, _ q: UnsafeMutablePointer<Float>, _ i: Int) { UnsafeMutableRawPointer(q + i).storeBytes(of: x, as: V.self) }
    let factor = V(repeating: c.gradientFactor), lerp = V(repeating: c.lerpWeight), oneMinusLerp = V(repeating: c.oneMinusLerpWeight)
    let beta2 = V(repeating: c.beta2), oneMinusBeta2 = V(repeating: c.oneMinusBeta2), bc2 = V(repeating: c.biasCorrection2Sqrt)
    let eps = V(repeating: c.eps), negStep = V(repeating: c.negStepSize)
    for i in stride(from: 0, to: count, by: 8) {
        var d = load(g, i) * factor
        var pv = load(p, i)
        if let decay = c.decoupledDecay { pv = pv * V(repeating: decay) }
        if let wd = c.l2WeightDecay { d = d + V(repeating: wd) * pv }
        let m0 = load(m, i)
        let m1 = c.lerpWeightIsSmall ? m0 + lerp * (d - m0) : d - (d - m0) * oneMinusLerp
        store(m1, m, i)
        let v1 = load(v, i) * beta2 + oneMinusBeta2 * d * d
        store(v1, v, i)
        let denom = lockstep_sqrt8(v1) / bc2 + eps
        store(pv + negStep * m1 / denom, p, i)
    }
}
