import Testing
import TensorCore
import Autograd
import NN

// The ```swift blocks of the `///` comments on the transformer ops and layers (TensorCore, Autograd,
// NN), each compiled inside a function whose parameters stand for what the surrounding comment
// assumes; `runs` executes the ones that need nothing from outside.

enum TransformerExamples {
    // Sources/TensorCore/IntegerTensors.swift
    static func integerTensors() {
        let ids = Tensor(int64: [3, 0, 2, 2], shape: [2, 2])   // (B, T) token ids
        let positions = Tensor.arange(4)                       // int64 [0, 1, 2, 3]
        _ = (ids, positions)
    }

    // Sources/TensorCore/Permute.swift
    static func permuted() {
        let x = Tensor([1, 2, 3, 4, 5, 6], shape: [1, 2, 3])
        x.permuted([2, 0, 1]).shape                         // [3, 1, 2]
    }

    // Sources/TensorCore/Slicing.swift
    static func sliced() {
        let x = Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3])
        x.sliced(axis: 1, range: 1..<3).floatArray       // [2, 3, 5, 6]
    }

    static func concatenated() {
        let a = Tensor([1, 2], shape: [2, 1]), b = Tensor([3, 4, 5, 6], shape: [2, 2])
        Tensor.concatenated([a, b], axis: 1).floatArray  // [1, 3, 4, 2, 5, 6]
    }

    // Sources/Autograd/ShapeOps.swift
    static func transposeHeads(x: Tensor, b: Int, t: Int, h: Int, d: Int) throws {
        let heads = try x.reshape([b, t, h, d]).transpose(1, 2)     // (B, H, T, D)
        _ = heads
    }

    static func concatenate(numeric: Tensor, embedded: Tensor) throws {
        let features = try Tensor.concatenate([numeric, embedded], axis: 1)   // (N, F + D)
        _ = features
    }

    // Sources/Autograd/LinearAlgebra.swift
    static func batchedMatmul(q: Tensor, k: Tensor) throws {
        let scores = try q.matmul(k, transposeOther: true)   // (B, H, T, D)·(B, H, T, D)ᵀ = (B, H, T, T)
        _ = scores
    }

    // Sources/Autograd/Softmax.swift
    static func causalSoftmax(q: Tensor, k: Tensor, d: Int) throws {
        let weights = try q.matmul(k, transposeOther: true).causalSoftmax(scale: 1 / Double(d).squareRoot())
        _ = weights
    }

    // Sources/Autograd/Attention.swift
    static func attentionComposition(qkv: Tensor, b: Int, t: Int, c: Int, heads: Int) throws -> Tensor {
        let (q, k, v) = try (qkv.slice(axis: 2, range: 0..<c), qkv.slice(axis: 2, range: c..<2 * c), qkv.slice(axis: 2, range: 2 * c..<3 * c))
        let split = { (x: Tensor) in try x.reshape([b, t, heads, c / heads]).transpose(1, 2) }   // (B, H, T, D)
        let p = try split(q).matmul(split(k), transposeOther: true).causalSoftmax(scale: 1 / Double(c / heads).squareRoot())
        let y = try p.matmul(split(v)).transpose(1, 2).reshape([b, t, c])
        return y
    }

    // Sources/Autograd/Embedding.swift
    static func embedding(ids: Tensor, wte: Tensor, wpe: Tensor, t: Int) throws {
        let x = try Tensor.embedding(ids, weight: wte) + Tensor.embedding(Tensor.arange(t), weight: wpe)   // (B, T, C)
        _ = x
    }

    // Sources/NN/Embedding.swift
    static func embeddingLayers(key: RandomKey, ids: Tensor) throws {
        let wte = Embedding(65, 64, key: key.with(a: 0)), wpe = Embedding(64, 64, key: key.with(a: 1))
        let x = try wte(ids) + wpe(Tensor.arange(ids.shape[1]))   // ids (B, T) → (B, T, 64)
        _ = x
    }

    // Sources/NN/Residual.swift
    static func residualBlock(attention: Module, mlp: Module) {
        let block = Sequential([("", Residual(Sequential([("ln_1", LayerNorm(64)), ("attn", attention)]))),
                                ("", Residual(Sequential([("ln_2", LayerNorm(64)), ("mlp", mlp)])))])
        _ = block
    }

    // Sources/NN/Concat.swift
    static func concatTowers(k0: RandomKey, k1: RandomKey, x: Tensor) throws {
        let towers = Concat([("wide", Linear(8, 16, key: k0)), ("deep", Sequential([("fc", Linear(8, 4, key: k1)), ("act", ReLU())]))])
        let y = try towers(x)   // (N, 8) → (N, 20)
        _ = y
    }

    // Sources/NN/MultiHeadCausalSelfAttention.swift
    static func attentionLayer(key: RandomKey, x: Tensor) throws {
        let attention = MultiHeadCausalSelfAttention(dim: 64, heads: 4, attentionKey: key.with(a: 1), projectionKey: key.with(a: 2))
        let y = try attention(x)   // (16, 64, 64) → (16, 64, 64)
        _ = y
    }
}

struct TransformerExampleTests {
    /// The examples whose comments state values say the truth.
    @Test func runs() throws {
        let x = Tensor([1, 2, 3, 4, 5, 6], shape: [1, 2, 3])
        #expect(x.permuted([2, 0, 1]).shape == [3, 1, 2])
        #expect(Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3]).sliced(axis: 1, range: 1..<3).floatArray == [2, 3, 5, 6])
        #expect(Tensor.concatenated([Tensor([1, 2], shape: [2, 1]), Tensor([3, 4, 5, 6], shape: [2, 2])], axis: 1).floatArray
                == [1, 3, 4, 2, 5, 6])
        #expect(Tensor.arange(4).scalars == [0, 1, 2, 3])
        let qkv = Tensor.uniform([2, 3, 12], low: -1, high: 1, key: RandomKey(seed: 1, stream: .initialization))
        let composed = try TransformerExamples.attentionComposition(qkv: qkv, b: 2, t: 3, c: 4, heads: 2)
        #expect(composed.shape == [2, 3, 4])
        let fused = try Tensor.causalSelfAttention(qkv, heads: 2)
        #expect(zip(composed.scalars, fused.scalars).allSatisfy { Swift.abs($0 - $1) < 1e-6 })
    }
}
