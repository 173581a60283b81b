import TensorCore

// Elementwise functions and their derivatives. Rules that need f'(x) save x; rules whose derivative is
// a function of the output (exp, sqrt, tanh, sigmoid) save the output instead, as a detached view:
// the output points at its node, so capturing the output itself would make a reference cycle that
// leaks whenever a graph is built but never differentiated.

extension Tensor {
    /// `eˣ`; d/dx = eˣ.
    public func exp() throws -> Tensor {
        let y = map(.exp), saved = y.detached()
        return try Tensor.record("exp", inputs: [self], output: y) { g in [g.zip(saved, .multiply)!] }
    }

    /// `ln x`; d/dx = 1/x.
    public func log() throws -> Tensor {
        try Tensor.record("log", inputs: [self], output: map(.log)) { [self] g in [g.zip(self, .divide)!] }
    }

    /// `√x`; d/dx = 1/(2√x).
    public func sqrt() throws -> Tensor {
        let y = map(.sqrt), saved = y.detached()
        return try Tensor.record("sqrt", inputs: [self], output: y) { g in
            [g.zip(saved.map(.affine(scale: 2, shift: 0)), .divide)!]
        }
    }

    /// `|x|`; d/dx = sign(x) (0 at 0).
    public func abs() throws -> Tensor {
        try Tensor.record("abs", inputs: [self], output: map(.abs)) { [self] g in [g.zip(self.map(.sign), .multiply)!] }
    }

    /// `max(x, 0)`; d/dx = 1 for x > 0, else 0.
    public func relu() throws -> Tensor {
        try Tensor.record("relu", inputs: [self], output: map(.relu)) { [self] g in
            [Tensor.activationGradient(.relu, gradient: g, saved: self)]
        }
    }

    /// `x` for x > 0, `slope·x` otherwise; d/dx = 1 or slope.
    public func leakyRelu(slope: Double = 0.01) throws -> Tensor {
        try Tensor.record("leaky_relu", inputs: [self], output: map(.leakyRelu(slope: slope))) { [self] g in
            [Tensor.activationGradient(.leakyRelu(slope: slope), gradient: g, saved: self)]
        }
    }

    /// `x·Φ(x)` (exact GELU); d/dx = Φ(x) + x·φ(x).
    public func gelu() throws -> Tensor {
        try Tensor.record("gelu", inputs: [self], output: map(.gelu)) { [self] g in
            [Tensor.activationGradient(.gelu, gradient: g, saved: self)]
        }
    }

    /// GELU with the tanh approximation (PyTorch's `gelu(x, approximate='tanh')`, GPT-2's):
    /// `½x(1 + tanh u)`, `u = √(2/π)(x + 0.044715x³)`, computed as `x·s` with `s = σ(2u)`;
    /// d/dx = s + x·s(1 − s)·2u′, `u′ = √(2/π)(1 + 0.134145x²)`. Vectorised in float32. When the op
    /// is recorded, the forward computes d/dx beside the output from the same `s` and saves it (in
    /// place of x: the same memory), so the rule is one product and takes no exp.
    public func geluTanh() throws -> Tensor {
        guard dtype != .int64 else { throw AutogradError.invalidArgument(op: "gelu_tanh", message: "expects a float32 or float64 tensor") }
        guard GradMode.current == .enabled && requiresGrad else {
            return try Tensor.record("gelu_tanh", inputs: [self], output: Tensor.geluTanhForward(self)) { _ in [nil] }
        }
        let (output, derivative) = Tensor.geluTanhForwardWithDerivative(self)
        return try Tensor.record("gelu_tanh", inputs: [self], output: output) { g in
            [g.zip(derivative, .multiply)!]
        }
    }

    /// `tanh x`; d/dx = 1 − tanh²x.
    public func tanh() throws -> Tensor {
        let y = map(.tanh), saved = y.detached()
        return try Tensor.record("tanh", inputs: [self], output: y) { g in
            [Tensor.activationGradient(.tanh, gradient: g, saved: saved)]
        }
    }

    /// `σ(x) = 1/(1 + e⁻ˣ)`; d/dx = σ(x)(1 − σ(x)).
    public func sigmoid() throws -> Tensor {
        let y = map(.sigmoid), saved = y.detached()
        return try Tensor.record("sigmoid", inputs: [self], output: y) { g in
            [Tensor.activationGradient(.sigmoid, gradient: g, saved: saved)]
        }
    }

    /// `min(max(x, lo), hi)`; d/dx = 1 inside [lo, hi], else 0.
    public func clamp(min lo: Double, max hi: Double) throws -> Tensor {
        guard lo <= hi else { throw AutogradError.invalidArgument(op: "clamp", message: "min \(lo) > max \(hi)") }
        return try Tensor.record("clamp", inputs: [self], output: map(.clamp(min: lo, max: hi))) { [self] g in
            [Tensor.activationGradient(.clamp(min: lo, max: hi), gradient: g, saved: self)]
        }
    }
}
