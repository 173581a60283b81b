import TensorCore
import Autograd

/// Layer normalisation over the last axis, as PyTorch's `nn.LayerNorm(features)`: eps 1e-5,
/// affine γ (ones) and β (zeros). The same in train and eval mode.
public final class LayerNorm: Module {
    public let features: Int
    public let epsilon: Double
    public let weight: Tensor?   // γ (C)
    public let bias: Tensor?     // β (C)

    public init(_ features: Int, epsilon: Double = 1e-5, affine: Bool = true, dtype: DType = .float32) {
        self.features = features
        self.epsilon = epsilon
        weight = affine ? Tensor.ones([features], dtype: dtype) : nil
        bias = affine ? Tensor.zeros([features], dtype: dtype) : nil
        super.init()
        if let weight { register(parameter: weight, as: "weight") }
        if let bias { register(parameter: bias, as: "bias") }
    }

    public override func forward(_ input: Tensor) throws -> Tensor {
        guard input.shape.last == features else {
            throw AutogradError.shapeMismatch(op: "LayerNorm(\(features))", lhs: input.shape, rhs: [features])
        }
        return try Tensor.layerNorm(input, weight: weight, bias: bias, epsilon: epsilon)
    }

    public override var summary: String { "LayerNorm(\(features))" }
}
