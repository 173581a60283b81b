import TensorCore

/// Scales all gradients together so that their total L2 norm is at most `maxNorm`, and returns the
/// total norm from before clipping: `torch.nn.utils.clip_grad_norm_` with `norm_type=2`.
///
/// `total = sqrt(Σ g²)` over every element of every non-nil `.grad`; each gradient is multiplied by
/// `min(maxNorm / (total + 1e-6), 1)`. Parameters without a gradient are skipped.
///
/// The sum runs in a fixed order (parameters in the order given, elements in order) and accumulates
/// in Double for float32 and float64 alike, so the result depends on nothing but the gradients.
/// PyTorch instead takes the norm of the per-tensor norms in the gradient's dtype; the two agree to
/// rounding (float64 ~1e-16, float32 ~1e-7 relative). In data-parallel training, clip after the
/// allreduce: every replica then sees the same gradients and computes the same norm.
///
/// A NaN or infinite gradient makes the returned norm non-finite and, as in PyTorch with
/// `error_if_nonfinite=False`, the gradients are still scaled by the (meaningless) coefficient;
/// check `isFinite` on the result to skip such a step.
///
/// ```swift
/// try loss.backward()
/// let norm = clipGradNorm(model.parameters, maxNorm: 1.0)
/// if norm.isFinite { try optimizer.step() }
/// ```
@discardableResult
public func clipGradNorm(_ parameters: [Tensor], maxNorm: Double) -> Double {
    let grads = parameters.compactMap(\.grad)
    var sumOfSquares = 0.0
    for grad in grads {
        sumOfSquares += squaredNorm(grad)
    }
    let total = sumOfSquares.squareRoot()
    let raw = maxNorm / (total + 1e-6)
    // torch.clamp(max=1) keeps a NaN coefficient; spelled out so as not to rely on `min`'s NaN rule.
    let coefficient = raw.isNaN || raw < 1 ? raw : 1
    // Multiplying by exactly 1 changes no bit, so the common unclipped case skips the pass.
    if coefficient == 1 { return total }
    for grad in grads {
        scaleInPlace(grad, by: coefficient)
    }
    return total
}

/// `clipGradNorm` over named parameters, e.g. `optimizer.parameters`.
@discardableResult
public func clipGradNorm(_ parameters: [(name: String, tensor: Tensor)], maxNorm: Double) -> Double {
    clipGradNorm(parameters.map(\.tensor), maxNorm: maxNorm)
}

/// Σ x² over a float tensor, accumulated in Double, elements in order.
private func squaredNorm(_ t: Tensor) -> Double {
    func sum<T: TensorScalar>(_ p: UnsafeMutablePointer<T>) -> Double {
        var acc = 0.0
        for i in 0..<t.count {
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

/// x ← x·scale with the scale rounded once to the element type (as PyTorch's `mul_` by a tensor
/// of the gradient's dtype).
private func scaleInPlace(_ t: Tensor, by scale: Double) {
    func run<T: TensorScalar>(_ p: UnsafeMutablePointer<T>) {
        let s = T(scale)
        for i in 0..<t.count { p[i] = p[i] * s }
    }
    switch t.dtype {
    case .float32: run(t.pointer(as: Float.self))
    case .float64: run(t.pointer(as: Double.self))
    case .int64: preconditionFailure("clipGradNorm: int64 gradient")
    }
}
