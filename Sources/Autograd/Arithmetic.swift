import TensorCore

// Differentiable arithmetic with NumPy broadcasting. Each derivative rule sits beside its forward;
// gradients of broadcast operands are summed back to the operand's shape.

extension Tensor {
    static func broadcasting(_ a: Tensor, _ b: Tensor, _ f: BinaryFunction, _ op: String) throws -> Tensor {
        guard a.dtype == b.dtype else {
            throw AutogradError.dtypeMismatch(op: op, lhs: a.dtype.rawValue, rhs: b.dtype.rawValue)
        }
        guard let out = a.zip(b, f) else { throw AutogradError.shapeMismatch(op: op, lhs: a.shape, rhs: b.shape) }
        return out
    }

    /// `a + b`; ∂/∂a = 1, ∂/∂b = 1.
    public static func + (a: Tensor, b: Tensor) throws -> Tensor {
        let (sa, sb) = (a.shape, b.shape)
        return try record("add", inputs: [a, b], output: broadcasting(a, b, .add, "add")) { g in
            [g.sumToShape(sa), g.sumToShape(sb)]
        }
    }

    /// `a − b`; ∂/∂a = 1, ∂/∂b = −1.
    public static func - (a: Tensor, b: Tensor) throws -> Tensor {
        let (sa, sb) = (a.shape, b.shape)
        return try record("sub", inputs: [a, b], output: broadcasting(a, b, .subtract, "sub")) { g in
            [g.sumToShape(sa), g.map(.negate).sumToShape(sb)]
        }
    }

    /// `a ⊙ b`; ∂/∂a = b, ∂/∂b = a.
    public static func * (a: Tensor, b: Tensor) throws -> Tensor {
        let (needA, needB) = (a.requiresGrad, b.requiresGrad)
        return try record("mul", inputs: [a, b], output: broadcasting(a, b, .multiply, "mul")) { g in
            [needA ? g.zip(b, .multiply)!.sumToShape(a.shape) : nil,
             needB ? g.zip(a, .multiply)!.sumToShape(b.shape) : nil]
        }
    }

    /// `a / b`; ∂/∂a = 1/b, ∂/∂b = −a/b².
    public static func / (a: Tensor, b: Tensor) throws -> Tensor {
        let (needA, needB) = (a.requiresGrad, b.requiresGrad)
        let out = try broadcasting(a, b, .divide, "div"), quotient = out.detached()   // detached: no cycle
        return try record("div", inputs: [a, b], output: out) { g in
            let ga = g.zip(b, .divide)!
            return [needA ? ga.sumToShape(a.shape) : nil,
                    needB ? ga.zip(quotient, .multiply)!.map(.negate).sumToShape(b.shape) : nil]
        }
    }

    /// `−a`; ∂/∂a = −1.
    public static prefix func - (a: Tensor) throws -> Tensor {
        try record("neg", inputs: [a], output: a.map(.negate)) { g in [g.map(.negate)] }
    }

    /// `a · s + t` for constants; ∂/∂a = s. The scalar forms of `+ − × ÷` all reduce to it.
    public func affine(scale: Double, shift: Double = 0) throws -> Tensor {
        try Tensor.record("affine", inputs: [self], output: map(.affine(scale: scale, shift: shift))) { g in
            [g.map(.affine(scale: scale, shift: 0))]
        }
    }

    public static func + (a: Tensor, s: Double) throws -> Tensor { try a.affine(scale: 1, shift: s) }
    public static func + (s: Double, a: Tensor) throws -> Tensor { try a.affine(scale: 1, shift: s) }
    public static func - (a: Tensor, s: Double) throws -> Tensor { try a.affine(scale: 1, shift: -s) }
    public static func - (s: Double, a: Tensor) throws -> Tensor { try a.affine(scale: -1, shift: s) }
    public static func * (a: Tensor, s: Double) throws -> Tensor { try a.affine(scale: s) }
    public static func * (s: Double, a: Tensor) throws -> Tensor { try a.affine(scale: s) }
    public static func / (a: Tensor, s: Double) throws -> Tensor { try a.affine(scale: 1 / s) }

    /// `aᵖ` for a constant exponent; ∂/∂a = p·aᵖ⁻¹.
    public func pow(_ p: Double) throws -> Tensor {
        try Tensor.record("pow", inputs: [self], output: map(.power(p))) { [self] g in
            [g.zip(self.map(.power(p - 1)).map(.affine(scale: p, shift: 0)), .multiply)!]
        }
    }

    /// `aᵇ` elementwise for a positive base; ∂/∂a = b·aᵇ⁻¹, ∂/∂b = aᵇ·ln a.
    public func pow(_ exponent: Tensor) throws -> Tensor {
        let (needA, needB) = (requiresGrad, exponent.requiresGrad)
        let out = try Tensor.broadcasting(self, exponent, .power, "pow"), power = out.detached()   // detached: no cycle
        return try Tensor.record("pow", inputs: [self, exponent], output: out) { [self] g in
            [needA ? g.zip(exponent, .multiply)!.zip(power.zip(self, .divide)!, .multiply)!.sumToShape(self.shape) : nil,
             needB ? g.zip(power, .multiply)!.zip(self.map(.log), .multiply)!.sumToShape(exponent.shape) : nil]
        }
    }
}
