import TensorCore
import Autograd

// Parameter-free activation modules; each forwards to the differentiable op of the same name.

/// `max(x, 0)`.
public final class ReLU: Module {
    public override func forward(_ input: Tensor) throws -> Tensor { try input.relu() }
}

/// `x` for x > 0, else `negativeSlope·x`.
public final class LeakyReLU: Module {
    public let negativeSlope: Double
    public init(negativeSlope: Double = 0.01) { self.negativeSlope = negativeSlope; super.init() }
    public override func forward(_ input: Tensor) throws -> Tensor { try input.leakyRelu(slope: negativeSlope) }
    public override var summary: String { "LeakyReLU(\(negativeSlope))" }
}

/// `x·Φ(x)`, the exact (erf) GELU (`nn.GELU()`), or with `approximate: .tanh` the tanh approximation
/// (`nn.GELU(approximate='tanh')`, GPT-2's), whose float32 kernel is vectorised.
public final class GELU: Module {
    public enum Approximation: String, Sendable { case none, tanh }
    public let approximate: Approximation
    public init(approximate: Approximation = .none) { self.approximate = approximate; super.init() }
    public override func forward(_ input: Tensor) throws -> Tensor {
        approximate == .tanh ? try input.geluTanh() : try input.gelu()
    }
    public override var summary: String { approximate == .tanh ? "GELU(tanh)" : "GELU" }
}

/// `tanh x`.
public final class Tanh: Module {
    public override func forward(_ input: Tensor) throws -> Tensor { try input.tanh() }
}

/// `1/(1 + e⁻ˣ)`.
public final class Sigmoid: Module {
    public override func forward(_ input: Tensor) throws -> Tensor { try input.sigmoid() }
}
