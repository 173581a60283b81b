import TensorCore
import NN
import Config

/// Builds the `Sequential` model a config describes.
///
/// Layer `i` draws its initial weights from `RandomKey(seed, .initialization, a: i)`, and a dropout
/// layer keys its masks by its index `i`: both depend only on the config, never on the rank.
///
/// With `model.checkpoint_activations`, the layers are cut into blocks, each starting at a Linear and
/// running up to the next one (`[layer1, bn1, relu, dropout] [layer2, bn2, relu] [layer3]`), and every
/// block but the last runs as a `Checkpointed` block: the forward keeps one activation per block (its
/// input) instead of one per op, and backward replays each block once. The last block is left plain,
/// as in PyTorch's `checkpoint_sequential`: its backward comes first, right after its forward, so
/// replaying it would save nothing. Blocks follow the Linears rather than √n equal segments: what a
/// block makes for backward (batch norm's normalised input and output, the activation, the dropout
/// mask and output) is what can be dropped, and a cut at each Linear keeps one tensor per block
/// instead of up to five; these MLPs have too few layers for √n grouping to differ. The blocks are
/// registered under the empty name, which `state_dict` names skip at the root of the model, and
/// `Checkpointed` registers its block's layers as its own: every tensor keeps its name
/// (`layer1.weight`, `bn1.running_mean`), so checkpoints, optimizer state and digests are the same
/// with or without the switch. `namedModules()` lists the blocks under the empty name.
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
            case .linear(let spec):
                module = Linear(shape.inFeatures, spec.out, bias: spec.bias, key: initKey.with(a: UInt32(i)), dtype: dtype)
            case .batchnorm1d(let spec):
                module = BatchNorm1d(shape.inFeatures, epsilon: spec.eps, momentum: spec.momentum, affine: spec.affine, dtype: dtype)
            case .layernorm(let spec):
                module = LayerNorm(shape.inFeatures, epsilon: spec.eps, affine: spec.elementwiseAffine, dtype: dtype)
            case .relu: module = ReLU()
            case .leakyRelu(let spec): module = LeakyReLU(negativeSlope: spec.negativeSlope)
            case .gelu: module = GELU()
            case .tanh: module = Tanh()
            case .sigmoid: module = Sigmoid()
            case .dropout(let spec): module = Dropout(p: spec.p, layerID: i, seed: config.seed)
            }
            return (shape.name, module)
        }
        return Sequential(config.model.checkpointActivations ? checkpointedBlocks(layers) : layers)
    }

    /// `layers` (every one named) cut into blocks at each Linear; every block but the last becomes a
    /// `Checkpointed` block under the empty name, the last stays as its layers.
    static func checkpointedBlocks(_ layers: [(name: String?, module: Module)]) -> [(name: String?, module: Module)] {
        var blocks: [[(name: String?, module: Module)]] = []
        for layer in layers {
            if blocks.isEmpty || layer.module is Linear { blocks.append([]) }
            blocks[blocks.count - 1].append(layer)
        }
        guard let last = blocks.popLast() else { return [] }
        return blocks.map { ("", Checkpointed(Sequential($0))) as (name: String?, module: Module) } + last
    }
}
