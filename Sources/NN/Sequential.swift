import TensorCore

/// Modules applied in order. Layers without a name are named by their index, as `nn.Sequential` does
/// (`0.weight`); named layers keep their names (`layer1.weight`).
///
/// ```swift
/// let mlp = Sequential([("layer1", Linear(20, 64, key: k0)), (nil, ReLU()), ("layer2", Linear(64, 1, key: k1))])
/// ```
public final class Sequential: Module {
    public let layers: [(name: String, module: Module)]

    public init(_ layers: [(name: String?, module: Module)]) {
        self.layers = layers.enumerated().map { index, layer in (layer.name ?? String(index), layer.module) }
        super.init()
        for (name, module) in self.layers { register(module: module, as: name) }
    }

    public convenience init(_ modules: [Module]) {
        self.init(modules.map { (nil, $0) })
    }

    public override func forward(_ input: Tensor) throws -> Tensor {
        var x = input
        for (_, layer) in layers { x = try layer(x) }
        return x
    }
}
