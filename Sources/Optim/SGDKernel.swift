import TensorCore

/// SGD's hyper-parameters converted to the parameter's element type, once per tensor.
/// PyTorch casts each Python scalar to the tensor's dtype before the kernel runs (and computes
/// `1 - dampening` and `-lr` in double first); converting the same way keeps float32 runs comparable.
struct SGDCoefficients<T: TensorScalar> {
    let weightDecay: T?       // nil when weight_decay == 0: PyTorch skips the add entirely
    let momentum: T?          // nil when momentum == 0: no buffer
    let gradScale: T          // 1 - dampening
    let nesterov: Bool
    let negLR: T              // -lr
    let gradientFactor: T     // the gradient's scale (1/B fused into the update; 1: none)

    init(lr: Double, momentum: Double, dampening: Double, weightDecay: Double, nesterov: Bool,
         gradientScale: Double = 1) {
        gradientFactor = T(gradientScale)
        self.weightDecay = weightDecay != 0 ? T(weightDecay) : nil
        self.momentum = momentum != 0 ? T(momentum) : nil
        self.gradScale = T(1 - dampening)
        self.nesterov = nesterov
        self.negLR = T(-lr)
    }
}

/// One SGD update of `count` elements, fused into a single pass. Each element goes through exactly
/// the operations of `torch.optim.SGD` (foreach=False), in the same order, with one rounding each,
/// the gradient first scaled as `grad.mul_(s)` would (s = 1/B in training; ×1 changes no bit):
///
///     g = g·s                               grad.mul_(s)
///     d = g + wd·p                          grad.add(param, alpha=wd)
///     b = d                   (first step)  grad.clone()
///     b = momentum·b + (1−dampening)·d      buf.mul_(momentum).add_(grad, alpha=1-dampening)
///     d = d + momentum·b  (Nesterov) or b   grad.add(buf, alpha=momentum)
///     p = p + (−lr)·d                       param.add_(grad, alpha=-lr)
///
/// Swift does not contract `a + b·c` into a fused multiply-add, so each product is rounded as in
/// ATen's portable kernels (bit for bit); its AVX2/AVX512 kernels use FMA and may differ by an ulp.
@inline(__always)
func sgdKernel<T: TensorScalar>(param p: UnsafeMutablePointer<T>, grad g: UnsafePointer<T>,
                                buffer b: UnsafeMutablePointer<T>?, firstStep: Bool, count: Int,
                                _ c: SGDCoefficients<T>) {
    // Every branch is decided once per tensor, outside the element loops, so that each loop is a
    // straight line the compiler vectorises; the per-element operations are those listed above.
    let s = c.gradientFactor
    if let wd = c.weightDecay {
        sgdLoops(p, g, b, firstStep, count, c) { g, p in g * s + wd * p }
    } else {
        sgdLoops(p, g, b, firstStep, count, c) { g, _ in g * s }
    }
}

@inline(__always)
func sgdLoops<T: TensorScalar>(_ p: UnsafeMutablePointer<T>, _ g: UnsafePointer<T>, _ b: UnsafeMutablePointer<T>?,
                               _ firstStep: Bool, _ count: Int, _ c: SGDCoefficients<T>,
                               _ decayed: (T, T) -> T) {
    let negLR = c.negLR
    guard let b, let momentum = c.momentum else {
        for i in 0..<count { p[i] = p[i] + negLR * decayed(g[i], p[i]) }
        return
    }
    let scale = c.gradScale
    switch (firstStep, c.nesterov) {
    case (true, false):
        for i in 0..<count { let d = decayed(g[i], p[i]); b[i] = d; p[i] = p[i] + negLR * d }
    case (true, true):
        for i in 0..<count { let d = decayed(g[i], p[i]); b[i] = d; p[i] = p[i] + negLR * (d + momentum * d) }
    case (false, false):
        for i in 0..<count {
            let d = decayed(g[i], p[i])
            let v = momentum * b[i] + scale * d
            b[i] = v
            p[i] = p[i] + negLR * v
        }
    case (false, true):
        for i in 0..<count {
            let d = decayed(g[i], p[i])
            let v = momentum * b[i] + scale * d
            b[i] = v
            p[i] = p[i] + negLR * (d + momentum * v)
        }
    }
}
