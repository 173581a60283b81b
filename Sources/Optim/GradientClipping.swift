import TensorCore

/// Scales all gradients together so that their total L2 norm is at most `maxNorm`, and returns the
/// total norm from before clipping: `torch.nn.utils.clip_grad_norm_` with `norm_type=2`.
///
/// `total = sqrt(Σ g²)` over every element of every non-nil `.grad`; each gradient is multiplied by
/// `min(maxNorm / (total + 1e-6), 1)`. Parameters without a gradient are skipped.
///
/// The sum runs in a fixed order — each gradient's squares summed in element order from zero, then
/// those per-tensor sums added in parameter order — and accumulates in Double for float32 and
/// float64 alike, so the result depends on nothing but the gradients. PyTorch instead takes the norm
/// of the per-tensor norms in the gradient's dtype; the two agree to rounding (float64 ~1e-16,
/// float32 ~1e-7 relative). In data-parallel training, clip after the allreduce: every replica then
/// sees the same gradients and computes the same norm.
///
/// A NaN or infinite gradient makes the returned norm non-finite and, as in PyTorch with
/// `error_if_nonfinite=False`, the gradients are still scaled by the (meaningless) coefficient;
/// check `isFinite` on the result to skip such a step.
///
/// ```swift
/// try loss.backward()
/// let norm = clipGradNorm(model.namedParameters(), maxNorm: 1.0)
/// if norm.isFinite { try optimizer.step() }
/// ```
@discardableResult
public func clipGradNorm(_ parameters: [Tensor], maxNorm: Double) -> Double {
    let grads = parameters.compactMap(\.grad)
    var sumOfSquares = 0.0
    for grad in grads {
        sumOfSquares += squaredSum(grad, 0..<grad.count)
    }
    let total = sumOfSquares.squareRoot()
    let coefficient = clipCoefficient(total: total, maxNorm: maxNorm)
    // Multiplying by exactly 1 changes no bit, so the common unclipped case skips the pass.
    if coefficient == 1 { return total }
    for grad in grads { scale(grad, 0..<grad.count, by: coefficient) }
    return total
}

/// `clipGradNorm` over named parameters, e.g. `model.namedParameters()` or `optimizer.parameters`.
@discardableResult
public func clipGradNorm(_ parameters: [(name: String, tensor: Tensor)], maxNorm: Double) -> Double {
    clipGradNorm(parameters.map(\.tensor), maxNorm: maxNorm)
}

/// `clipGradNorm` over a flat gradient buffer whose parameters occupy `segments` (in order, as
/// `FlatParameters.entries`' ranges): the same sum in the same order, so the same bits as the
/// per-tensor form when every parameter has its gradient in the buffer, and one scaling pass over
/// the whole buffer. Every segment counts (bind missing gradients to zeros first).
///
/// ```swift
/// let norm = clipGradNorm(flatGradients: flat.gradients, segments: flat.entries.map(\.range), maxNorm: 1)
/// ```
@discardableResult
public func clipGradNorm(flatGradients gradients: Tensor, segments: [Range<Int>], maxNorm: Double) -> Double {
    let total = gradientSquaredSum(gradients, segments: segments).squareRoot()
    let coefficient = clipCoefficient(total: total, maxNorm: maxNorm)
    if coefficient == 1 { return total }
    scale(gradients, 0..<gradients.count, by: coefficient)
    return total
}

/// Σ g² over the elements of `gradients` that lie in both `segments` and `range` (default: all):
/// each segment's part summed from zero in element order, the parts added in segment order, in
/// Double. Over the whole buffer this is the sum `clipGradNorm` takes. For a range cut at segment
/// boundaries it is one rank's share under optimizer-state sharding; adding the shares changes the
/// grouping of the additions, so the total then agrees to rounding, not to the bit, unless the
/// per-segment parts themselves are gathered and added in order.
///
/// ```swift
/// let mine = gradientSquaredSum(flat.gradients, segments: ranges, within: 0..<4096)
/// ```
public func gradientSquaredSum(_ gradients: Tensor, segments: [Range<Int>], within range: Range<Int>? = nil) -> Double {
    let range = range ?? 0..<gradients.count
    var sum = 0.0
    for segment in segments {
        let part = segment.clamped(to: range)
        if !part.isEmpty { sum += squaredSum(gradients, part) }
    }
    return sum
}

/// `maxNorm / (total + 1e-6)` clamped to at most 1. torch.clamp(max=1) keeps a NaN coefficient;
/// spelled out so as not to rely on `min`'s NaN rule.
private func clipCoefficient(total: Double, maxNorm: Double) -> Double {
    let raw = maxNorm / (total + 1e-6)
    return raw.isNaN || raw < 1 ? raw : 1
}

/// Σ x² over elements `range` of a float tensor, accumulated in Double from zero, in order.
private func squaredSum(_ t: Tensor, _ range: Range<Int>) -> Double {
    func sum<T: TensorScalar>(_ p: UnsafeMutablePointer<T>) -> Double {
        var acc = 0.0
        for i in range {
            let x = Double(p[i])
            acc += x * x
        }
        return acc
    }
    switch t.dtype {
    case .float32: return sum(t.pointer(as: Float.self))
    case .float64: return sum(t.pointer(as: Double.self))
    case .int64: preconditionFailure("clipGradNorm: int64 gradient")
    }
}

/// x ← x·scale over elements `range`, the scale rounded once to the element type (as PyTorch's
/// `mul_` by a tensor of the gradient's dtype).
private func scale(_ t: Tensor, _ range: Range<Int>, by scale: Double) {
    func run<T: TensorScalar>(_ p: UnsafeMutablePointer<T>) {
        let s = T(scale)
        for i in range { p[i] = p[i] * s }
    }
    switch t.dtype {
    case .float32: run(t.pointer(as: Float.self))
    case .float64: run(t.pointer(as: Double.self))
    case .int64: preconditionFailure("clipGradNorm: int64 gradient")
    }
}
