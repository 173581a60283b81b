import TensorCore

// Straight-through estimators (Bengio et al., 2013): a step function in the forward pass, the identity
// (or the identity clipped to |x| ≤ 1) in the backward pass, so that quantised or binarised values can
// be trained through. The true derivative of round and sign is zero almost everywhere.

extension Tensor {
    /// `round(x)` (half to even, as `torch.round`) whose gradient passes straight through:
    /// d/dx = 1, or with `clip` 1 where |x| ≤ 1 and 0 elsewhere.
    ///
    /// ```swift
    /// let q = try (w * 4.0).roundSTE() / 4.0   // w quantised to steps of 1/4, trained as if it were w
    /// ```
    public func roundSTE(clip: Bool = false) throws -> Tensor {
        try straightThrough("round_ste", .round, clip: clip)
    }

    /// `sign(x)` (−1, 0 or 1) whose gradient passes straight through: d/dx = 1, or with `clip` 1 where
    /// |x| ≤ 1 and 0 elsewhere (the "hard tanh" estimator of binarised networks).
    ///
    /// ```swift
    /// let binary = try w.signSTE(clip: true)   // ±1 weights; gradient stops where |w| > 1
    /// ```
    public func signSTE(clip: Bool = false) throws -> Tensor {
        try straightThrough("sign_ste", .sign, clip: clip)
    }

    private func straightThrough(_ op: String, _ f: UnaryFunction, clip: Bool) throws -> Tensor {
        guard dtype != .int64 else {
            throw AutogradError.invalidArgument(op: op, message: "expects a float32 or float64 tensor")
        }
        let y = map(f)
        guard clip else {
            // Nothing saved: the gradient is handed on as it is (rules never modify their input gradient).
            return try Tensor.record(op, inputs: [self], output: y) { g in [g] }
        }
        return try Tensor.record(op, inputs: [self], output: y) { [self] g in
            [Tensor.activationGradient(.clippedIdentity, gradient: g, saved: self)]
        }
    }
}
