import TensorCore
import Autograd
import NN

/// A GPT-2 style causal language model, as nanoGPT writes it: token and learned position
/// embeddings, pre-LayerNorm blocks of multi-head causal self-attention and a tanh-GELU MLP, each
/// added back to its input, a final LayerNorm and an unbiased head to the vocabulary. The parameter
/// names are nanoGPT's without its `transformer.` prefix (`wte.weight`, `h.0.attn.c_attn.weight`,
/// …, `lm_head.weight`), so that `transformer_lm_twin.py` loads the weights into PyTorch as they are.
final class GPT: Module {
    let wte: Embedding, wpe: Embedding
    let h: Sequential
    let lnF: LayerNorm, lmHead: Linear

    /// Weights drawn from `seed` alone: embeddings N(0, 0.02) as GPT-2's, linear layers as PyTorch's
    /// `nn.Linear` initialises them.
    init(vocabulary: Int, context: Int, width: Int, heads: Int, layers: Int, seed: UInt64) {
        let key = RandomKey(seed: seed, stream: .initialization)
        wte = Embedding(vocabulary, width, std: 0.02, key: key.with(a: 0))
        wpe = Embedding(context, width, std: 0.02, key: key.with(a: 1))
        h = Sequential((0..<layers).map { i in
            (String(i), Block(width: width, heads: heads, key: key.with(a: UInt32(16 + 8 * i))) as Module)
        })
        lnF = LayerNorm(width)
        lmHead = Linear(width, vocabulary, bias: false, key: key.with(a: 2))
        super.init()
        register(module: wte, as: "wte")
        register(module: wpe, as: "wpe")
        register(module: h, as: "h")
        register(module: lnF, as: "ln_f")
        register(module: lmHead, as: "lm_head")
    }

    /// Token ids (B, T), int64 → next-token logits (B, T, V).
    override func forward(_ ids: Tensor) throws -> Tensor {
        let x = try wte(ids) + wpe(Tensor.arange(ids.shape[1]))   // (B, T, C) + (T, C)
        return try lmHead(lnF(h(x)))
    }
}

/// `x + attn(ln_1(x))`, then `x + mlp(ln_2(x))`.
final class Block: Module {
    let ln1: LayerNorm, attn: MultiHeadCausalSelfAttention
    let ln2: LayerNorm, mlp: Sequential

    init(width: Int, heads: Int, key: RandomKey) {
        ln1 = LayerNorm(width)
        attn = MultiHeadCausalSelfAttention(dim: width, heads: heads, attentionKey: key.with(b: 0), projectionKey: key.with(b: 1))
        ln2 = LayerNorm(width)
        mlp = Sequential([("c_fc", Linear(width, 4 * width, key: key.with(b: 2))), (nil, GELU(approximate: .tanh)),
                          ("c_proj", Linear(4 * width, width, key: key.with(b: 3)))])
        super.init()
        register(module: ln1, as: "ln_1")
        register(module: attn, as: "attn")
        register(module: ln2, as: "ln_2")
        register(module: mlp, as: "mlp")
    }

    override func forward(_ x: Tensor) throws -> Tensor {
        let y = try x + attn(ln1(x))
        return try y + mlp(ln2(y))
    }
}
