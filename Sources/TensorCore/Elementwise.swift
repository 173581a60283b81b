/// Elementwise functions of one tensor. Parameterised functions carry their constants.
public enum UnaryFunction: Sendable {
    case negate, exp, log, sqrt, abs, square, reciprocal, sign
    case tanh, sigmoid, relu, gelu
    case leakyRelu(slope: Double)
    case clamp(min: Double, max: Double)
    case power(Double)
    /// `x · scale + shift`.
    case affine(scale: Double, shift: Double)
    /// Round half to even (as `torch.round`).
    case round
}

/// Elementwise functions of two broadcast tensors.
public enum BinaryFunction: Sendable {
    case add, subtract, multiply, divide, maximum, minimum, power
}

/// Derivative pieces of the activation functions, each `grad ⊙ f'(·)` fused into one pass.
/// `saved` is the forward input for relu/leakyRelu/gelu/clamp and the forward output for tanh/sigmoid.
public enum ActivationGradient: Sendable {
    case relu
    case leakyRelu(slope: Double)
    case gelu
    case tanh
    case sigmoid
    case clamp(min: Double, max: Double)
    /// Straight-through estimator with clipping: passes the gradient where |x| ≤ 1.
    case clippedIdentity
}

extension Tensor {
    /// `f(self)`, elementwise, as a new tensor.
    public func map(_ f: UnaryFunction) -> Tensor {
        let out = Tensor(uninitializedShape: shape, dtype: dtype)
        switch dtype {
        case .float32: applyUnary(f, pointer(as: Float.self), out.pointer(as: Float.self), count)
        case .float64: applyUnary(f, pointer(as: Double.self), out.pointer(as: Double.self), count)
        case .int64: preconditionFailure("elementwise math on an int64 tensor")
        }
        return out
    }

    /// `f(self, other)` with NumPy broadcasting, as a new tensor. Nil when the shapes do not broadcast.
    public func zip(_ other: Tensor, _ f: BinaryFunction) -> Tensor? {
        precondition(dtype == other.dtype, "\(dtype) and \(other.dtype) operands")
        guard let outShape = broadcastShape(shape, other.shape) else { return nil }
        let out = Tensor(uninitializedShape: outShape, dtype: dtype)
        let pattern = BroadcastPattern(shape, other.shape, out: outShape)
        switch dtype {
        case .float32: applyBinary(f, pattern, pointer(as: Float.self), other.pointer(as: Float.self), out.pointer(as: Float.self), out.count)
        case .float64: applyBinary(f, pattern, pointer(as: Double.self), other.pointer(as: Double.self), out.pointer(as: Double.self), out.count)
        case .int64: preconditionFailure("elementwise math on an int64 tensor")
        }
        return out
    }

    /// `gradient ⊙ f'(saved)` for an activation `f`, as a new tensor (all three the same shape).
    public static func activationGradient(_ f: ActivationGradient, gradient: Tensor, saved: Tensor) -> Tensor {
        precondition(gradient.shape == saved.shape && gradient.dtype == saved.dtype)
        let out = Tensor(uninitializedShape: saved.shape, dtype: saved.dtype)
        switch saved.dtype {
        case .float32: applyActivationGradient(f, gradient.pointer(as: Float.self), saved.pointer(as: Float.self), out.pointer(as: Float.self), out.count)
        case .float64: applyActivationGradient(f, gradient.pointer(as: Double.self), saved.pointer(as: Double.self), out.pointer(as: Double.self), out.count)
        case .int64: preconditionFailure("elementwise math on an int64 tensor")
        }
        return out
    }

    /// `self += other` in place (same shape), the accumulation step of gradients.
    public func addInPlace(_ other: Tensor) {
        precondition(count == other.count && dtype == other.dtype, "in-place add of \(other.shape) into \(shape)")
        switch dtype {
        case .float32: axpy(1, other.pointer(as: Float.self), pointer(as: Float.self), count)
        case .float64: axpy(1, other.pointer(as: Double.self), pointer(as: Double.self), count)
        case .int64: preconditionFailure("elementwise math on an int64 tensor")
        }
    }

    /// `self *= factor` in place.
    public func scaleInPlace(_ factor: Double) {
        switch dtype {
        case .float32: scal(Float(factor), pointer(as: Float.self), count)
        case .float64: scal(factor, pointer(as: Double.self), count)
        case .int64: preconditionFailure("elementwise math on an int64 tensor")
        }
    }
}

// MARK: Kernels (generic, specialised for Float and Double inside this module)

@inline(__always)
func loop<T: TensorScalar>(_ x: UnsafeMutablePointer<T>, _ y: UnsafeMutablePointer<T>, _ n: Int, _ f: (T) -> T) {
    for i in 0..<n { y[i] = f(x[i]) }
}

@inline(__always)
func sigmoidScalar<T: TensorScalar>(_ x: T) -> T {
    // Both branches avoid overflow of exp for large |x|.
    if x >= 0 { return 1 / (1 + T.exp(-x)) }
    let e = T.exp(x)
    return e / (1 + e)
}

@usableFromInline let inverseSqrt2 = 0.70710678118654752440
@usableFromInline let inverseSqrt2Pi = 0.39894228040143267794

func applyUnary<T: TensorScalar>(_ f: UnaryFunction, _ x: UnsafeMutablePointer<T>, _ y: UnsafeMutablePointer<T>, _ n: Int) {
    switch f {
    case .negate: loop(x, y, n) { -$0 }
    case .exp: loop(x, y, n) { T.exp($0) }
    case .log: loop(x, y, n) { T.log($0) }
    case .sqrt: loop(x, y, n) { $0.squareRoot() }
    case .abs: loop(x, y, n) { Swift.abs($0) }
    case .square: loop(x, y, n) { $0 * $0 }
    case .reciprocal: loop(x, y, n) { 1 / $0 }
    case .sign: loop(x, y, n) { $0 > 0 ? 1 : ($0 < 0 ? -1 : 0) }
    case .tanh: loop(x, y, n) { T.tanh($0) }
    case .sigmoid: loop(x, y, n) { sigmoidScalar($0) }
    case .relu: loop(x, y, n) { $0 > 0 ? $0 : 0 }
    case .gelu:
        let c = T(inverseSqrt2)
        loop(x, y, n) { 0.5 * $0 * (1 + T.erf($0 * c)) }
    case .leakyRelu(let slope):
        let s = T(slope)
        loop(x, y, n) { $0 > 0 ? $0 : $0 * s }
    case .clamp(let lo, let hi):
        let l = T(lo), h = T(hi)
        loop(x, y, n) { Swift.min(Swift.max($0, l), h) }
    case .power(let e):
        if e == 2 { loop(x, y, n) { $0 * $0 } } else {
            let p = T(e)
            loop(x, y, n) { T.pow($0, p) }
        }
    case .affine(let scale, let shift):
        let a = T(scale), b = T(shift)
        loop(x, y, n) { $0 * a + b }
    case .round: loop(x, y, n) { $0.rounded(.toNearestOrEven) }
    }
}

@inline(__always)
func zipLoop<T: TensorScalar>(_ p: BroadcastPattern, _ a: UnsafeMutablePointer<T>, _ b: UnsafeMutablePointer<T>,
                              _ y: UnsafeMutablePointer<T>, _ n: Int, _ f: (T, T) -> T) {
    switch p {
    case .sameShape:
        for i in 0..<n { y[i] = f(a[i], b[i]) }
    case .scalarRight:
        let s = b[0]
        for i in 0..<n { y[i] = f(a[i], s) }
    case .scalarLeft:
        let s = a[0]
        for i in 0..<n { y[i] = f(s, b[i]) }
    case .rowRight(let inner):
        var base = 0
        while base < n {
            for j in 0..<inner { y[base + j] = f(a[base + j], b[j]) }
            base += inner
        }
    case .rowLeft(let inner):
        var base = 0
        while base < n {
            for j in 0..<inner { y[base + j] = f(a[j], b[base + j]) }
            base += inner
        }
    case .general(let outShape, let sa, let sb):
        // Odometer over the output index; operand offsets advance by their (possibly zero) strides.
        let rank = outShape.count
        var index = [Int](repeating: 0, count: rank)
        var oa = 0, ob = 0
        for i in 0..<n {
            y[i] = f(a[oa], b[ob])
            var d = rank - 1
            while d >= 0 {
                index[d] += 1; oa += sa[d]; ob += sb[d]
                if index[d] < outShape[d] { break }
                oa -= sa[d] * outShape[d]; ob -= sb[d] * outShape[d]
                index[d] = 0
                d -= 1
            }
        }
    }
}

func applyBinary<T: TensorScalar>(_ f: BinaryFunction, _ p: BroadcastPattern, _ a: UnsafeMutablePointer<T>,
                                  _ b: UnsafeMutablePointer<T>, _ y: UnsafeMutablePointer<T>, _ n: Int) {
    switch f {
    case .add: zipLoop(p, a, b, y, n) { $0 + $1 }
    case .subtract: zipLoop(p, a, b, y, n) { $0 - $1 }
    case .multiply: zipLoop(p, a, b, y, n) { $0 * $1 }
    case .divide: zipLoop(p, a, b, y, n) { $0 / $1 }
    case .maximum: zipLoop(p, a, b, y, n) { Swift.max($0, $1) }
    case .minimum: zipLoop(p, a, b, y, n) { Swift.min($0, $1) }
    case .power: zipLoop(p, a, b, y, n) { T.pow($0, $1) }
    }
}

@inline(__always)
func zip3<T: TensorScalar>(_ g: UnsafeMutablePointer<T>, _ s: UnsafeMutablePointer<T>, _ y: UnsafeMutablePointer<T>,
                           _ n: Int, _ f: (T, T) -> T) {
    for i in 0..<n { y[i] = f(g[i], s[i]) }
}

func applyActivationGradient<T: TensorScalar>(_ f: ActivationGradient, _ g: UnsafeMutablePointer<T>,
                                              _ s: UnsafeMutablePointer<T>, _ y: UnsafeMutablePointer<T>, _ n: Int) {
    switch f {
    case .relu: zip3(g, s, y, n) { $1 > 0 ? $0 : 0 }
    case .leakyRelu(let slope):
        let k = T(slope)
        zip3(g, s, y, n) { $1 > 0 ? $0 : $0 * k }
    case .gelu:
        // d/dx [x Φ(x)] = Φ(x) + x φ(x)
        let c = T(inverseSqrt2), d = T(inverseSqrt2Pi)
        zip3(g, s, y, n) { grad, x in grad * (0.5 * (1 + T.erf(x * c)) + x * d * T.exp(-0.5 * x * x)) }
    case .tanh: zip3(g, s, y, n) { $0 * (1 - $1 * $1) }
    case .sigmoid: zip3(g, s, y, n) { $0 * $1 * (1 - $1) }
    case .clamp(let lo, let hi):
        let l = T(lo), h = T(hi)
        zip3(g, s, y, n) { ($1 >= l && $1 <= h) ? $0 : 0 }
    case .clippedIdentity: zip3(g, s, y, n) { Swift.abs($1) <= 1 ? $0 : 0 }
    }
}
