import TensorCore
import Autograd
import NN

/// A residual MLP over measurements and two categorical columns: site and ward ids are embedded,
/// concatenated with the measurements, projected to `width`, passed through `blocks` residual blocks
/// (`x + Linear(ReLU(Linear(LayerNorm(x))))`) and read out as one logit.
final class ResidualTabular: Module {
    let site: Embedding, ward: Embedding
    let input: Linear, blocks: Sequential, head: Linear

    init(width: Int = 64, blocks count: Int = 2, seed: UInt64) {
        let key = RandomKey(seed: seed, stream: .initialization)
        site = Embedding(Admissions.sites, 8, key: key.with(a: 0))
        ward = Embedding(Admissions.wards, 4, key: key.with(a: 1))
        input = Linear(Admissions.measurements + 8 + 4, width, key: key.with(a: 2))
        blocks = Sequential((0..<count).map { i -> (name: String?, module: Module) in
            let first = Linear(width, width, key: key.with(a: UInt32(10 + 2 * i)))
            let second = Linear(width, width, key: key.with(a: UInt32(11 + 2 * i)))
            return (String(i), Residual(Sequential([LayerNorm(width), first, ReLU(), second])))
        })
        head = Linear(width, 1, key: key.with(a: 3))
        super.init()
        for (name, module) in [("site", site), ("ward", ward), ("input", input), ("blocks", blocks), ("head", head)] as [(String, Module)] {
            register(module: module, as: name)
        }
    }

    /// (N, 10): 8 measurements, site id, ward id → (N, 1) logits.
    override func forward(_ x: Tensor) throws -> Tensor {
        let n = x.shape[0], m = Admissions.measurements
        let sites = try site(x.slice(axis: 1, range: m ..< m + 1)).reshape([n, 8])
        let wards = try ward(x.slice(axis: 1, range: m + 1 ..< m + 2)).reshape([n, 4])
        let features = try Tensor.concatenate([x.slice(axis: 1, range: 0..<m), sites, wards], axis: 1)
        return try head(blocks(input(features).relu()))
    }
}

/// Binary cross-entropy on logits, summed over the batch, written from the ops as a user would:
/// `softplus(z) − y·z`, with `softplus(z) = max(z, 0) + log(1 + e^(−|z|))`, which never overflows.
func readmissionLoss(logits z: Tensor, labels y: Tensor) throws -> Tensor {
    try (z.relu() + ((z.abs() * -1).exp() + 1).log() - y * z).sum()
}
