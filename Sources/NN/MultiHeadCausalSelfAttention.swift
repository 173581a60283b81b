import TensorCore
import Autograd

/// Multi-head causal self-attention as in GPT-2 and nanoGPT's `CausalSelfAttention` (without dropout):
/// x (B, T, C) → `c_proj(attention(c_attn(x)))` (B, T, C), where `c_attn = Linear(C, 3C)` projects to
/// [q | k | v], each split into `heads` heads of D = C/heads columns, every position attends to
/// itself and the positions before it with weights `softmax(q·kᵀ/√D)`, and `c_proj = Linear(C, C)`
/// mixes the heads. Parameters: `c_attn.weight` (3C, C), `c_attn.bias` (3C), `c_proj.weight` (C, C),
/// `c_proj.bias` (C), initialised as Linear does from `attentionKey` and `projectionKey`.
///
/// The PyTorch twin (loads this module's `state_dict` strictly and gives the same outputs):
///
///     class CausalSelfAttention(nn.Module):
///         def __init__(self, dim, heads, bias=True):
///             super().__init__()
///             self.heads = heads
///             self.c_attn = nn.Linear(dim, 3 * dim, bias=bias)
///             self.c_proj = nn.Linear(dim, dim, bias=bias)
///         def forward(self, x):
///             B, T, C = x.shape
///             q, k, v = self.c_attn(x).split(C, dim=2)
///             q, k, v = (t.view(B, T, self.heads, C // self.heads).transpose(1, 2) for t in (q, k, v))
///             y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
///             return self.c_proj(y.transpose(1, 2).contiguous().view(B, T, C))
///
/// The attention itself is one op, `Tensor.causalSelfAttention`, which reads the heads in place.
///
/// ```swift
/// let attention = MultiHeadCausalSelfAttention(dim: 64, heads: 4, attentionKey: key.with(a: 1), projectionKey: key.with(a: 2))
/// let y = try attention(x)   // (16, 64, 64) → (16, 64, 64)
/// ```
public final class MultiHeadCausalSelfAttention: Module {
    public let dim: Int
    public let heads: Int
    public let cAttn: Linear   // c_attn: C → 3C
    public let cProj: Linear   // c_proj: C → C

    public init(dim: Int, heads: Int, bias: Bool = true, attentionKey: RandomKey, projectionKey: RandomKey, dtype: DType = .float32) {
        precondition(heads > 0 && dim > 0 && dim % heads == 0, "attention width \(dim) is not a positive multiple of \(heads) heads")
        self.dim = dim
        self.heads = heads
        cAttn = Linear(dim, 3 * dim, bias: bias, key: attentionKey, dtype: dtype)
        cProj = Linear(dim, dim, bias: bias, key: projectionKey, dtype: dtype)
        super.init()
        register(module: cAttn, as: "c_attn")
        register(module: cProj, as: "c_proj")
    }

    public override func forward(_ input: Tensor) throws -> Tensor {
        guard input.rank == 3, input.shape[2] == dim else {
            throw AutogradError.invalidArgument(op: summary, message: "expects (B, T, \(dim)) input, got shape \(input.shape)")
        }
        return try cProj(Tensor.causalSelfAttention(cAttn(input), heads: heads))
    }

    public override var summary: String { "MultiHeadCausalSelfAttention(\(dim), heads: \(heads))" }
}
