import TensorCore
import Autograd

/// `x + block(x)`: a residual connection around `block`, whose output has the input's shape.
///
/// The block is registered under the empty name, which adds nothing to names: the block's tensors
/// keep their own (`Residual(Sequential([("ln_1", …), ("attn", …)]))` has `ln_1.weight`,
/// `attn.c_attn.weight`, …), as a PyTorch module that writes `x = x + self.attn(self.ln_1(x))` in its
/// forward. ∂/∂x = g + ∂block/∂x·g (the add's rule).
///
/// ```swift
/// let block = Sequential([("", Residual(Sequential([("ln_1", LayerNorm(64)), ("attn", attention)]))),
///                         ("", Residual(Sequential([("ln_2", LayerNorm(64)), ("mlp", mlp)])))])
/// ```
public final class Residual: Module {
    public let block: Module

    public init(_ block: Module) {
        self.block = block
        super.init()
        register(module: block, as: "")
    }

    public override func forward(_ input: Tensor) throws -> Tensor {
        let output = try block(input)
        guard output.shape == input.shape else {
            throw AutogradError.shapeMismatch(op: "Residual(\(block.summary))", lhs: input.shape, rhs: output.shape)
        }
        return try input + output
    }

    public override var summary: String { "Residual(\(block.summary))" }
}
