import TensorCore

// Softmax, log-softmax and attention's causal softmax, each computed stably (the row's maximum is
// subtracted before exp). Their rules need only the output, which they save as a detached view.

extension Tensor {
    /// `softmax(x)` along `axis` (negative counts from the end): `yᵢ = e^(xᵢ) / Σⱼ e^(xⱼ)`;
    /// ∂/∂x = y ⊙ (g − Σ g⊙y) along the axis.
    public func softmax(axis: Int) throws -> Tensor {
        try softmax(axis: axis, log: false, op: "softmax")
    }

    /// `log_softmax(x)` along `axis`: `yᵢ = xᵢ − log Σⱼ e^(xⱼ)`; ∂/∂x = g − e^y ⊙ Σ g along the axis.
    public func logSoftmax(axis: Int) throws -> Tensor {
        try softmax(axis: axis, log: true, op: "log_softmax")
    }

    private func softmax(axis: Int, log: Bool, op: String) throws -> Tensor {
        guard dtype != .int64 else { throw AutogradError.invalidArgument(op: op, message: "expects a float32 or float64 tensor") }
        let axis = try Tensor.axis(axis, rank: rank, op: op)
        let y = Tensor.softmaxForward(self, axis: axis, log: log), saved = y.detached()
        return try Tensor.record(op, inputs: [self], output: y) { g in
            [Tensor.softmaxBackward(g, output: saved, axis: axis, log: log)]
        }
    }

    /// Causal softmax of attention scores (…, T, T): row i is `softmax(scale·x[…, i, 0...i])`, zero
    /// for the keys after i — PyTorch's `softmax((scale * x).masked_fill(mask, -inf), -1)` with the
    /// upper triangle masked, in one pass. ∂/∂x = scale · y ⊙ (g − Σ g⊙y) along the last axis (zero
    /// above the diagonal, where y is).
    ///
    /// ```swift
    /// let weights = try q.matmul(k, transposeOther: true).causalSoftmax(scale: 1 / Double(d).squareRoot())
    /// ```
    public func causalSoftmax(scale: Double = 1) throws -> Tensor {
        guard dtype != .int64 else {
            throw AutogradError.invalidArgument(op: "causal_softmax", message: "expects a float32 or float64 tensor")
        }
        guard rank >= 2, shape[rank - 2] == shape[rank - 1] else {
            throw AutogradError.invalidArgument(op: "causal_softmax", message: "expects square (…, T, T) scores, got shape \(shape)")
        }
        let y = Tensor.causalSoftmaxForward(self, scale: scale), saved = y.detached()
        return try Tensor.record("causal_softmax", inputs: [self], output: y) { g in
            [Tensor.causalSoftmaxBackward(g, output: saved, scale: scale)]
        }
    }
}
