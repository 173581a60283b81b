import TensorCore
import NN

/// Builds the `Sequential` model a config describes.
///
/// Layer `i` draws its initial weights from `RandomKey(seed, .initialization, a: i)`, and a dropout
/// layer keys its masks by its index `i`: both depend only on the config, never on the rank.
///
/// ```swift
/// let model = try ModelBuilder.build(config)   // layer1, bn1, 2, 3, layer2, …
/// ```
public enum ModelBuilder {
    public static func build(_ config: RunConfig, dtype: DType = .float32) throws -> Sequential {
        let resolved = try config.layerShapes()
        let initKey = RandomKey(seed: config.seed, stream: .initialization)
        let layers: [(name: String?, module: Module)] = zip(config.model.layers, resolved).map { layer, shape in
            let i = shape.index
            let module: Module
            switch layer.kind {
            case let .linear(out, bias):
                module = Linear(shape.inFeatures, out, bias: bias, key: initKey.with(a: UInt32(i)), dtype: dtype)
            case let .batchnorm1d(eps, momentum, affine):
                module = BatchNorm1d(shape.inFeatures, epsilon: eps, momentum: momentum, affine: affine, dtype: dtype)
            case let .layernorm(eps, affine):
                module = LayerNorm(shape.inFeatures, epsilon: eps, affine: affine, dtype: dtype)
            case .relu: module = ReLU()
            case .leakyRelu(let slope): module = LeakyReLU(negativeSlope: slope)
            case .gelu: module = GELU()
            case .tanh: module = Tanh()
            case .sigmoid: module = Sigmoid()
            case .dropout(let p): module = Dropout(p: p, layerID: i, seed: config.seed)
            }
            return (shape.name, module)
        }
        return Sequential(layers)
    }
}
