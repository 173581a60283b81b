import Testing
import TensorCore
import Autograd
import NN

/// A one-block causal language model from the transformer layers, named as GPT-2 (and the fixture's
/// `TinyLM`): token and position embeddings, `h.<i>` blocks of two residual branches, a final layer
/// norm and an unbiased head.
final class TinyLM: Module {
    let wte: Embedding, wpe: Embedding, h: Sequential, lnF: LayerNorm, lmHead: Linear

    init(vocab: Int, context: Int, dim: Int, heads: Int, layers: Int, key: RandomKey, dtype: DType) {
        wte = Embedding(vocab, dim, key: key.with(a: 0), dtype: dtype)
        wpe = Embedding(context, dim, key: key.with(a: 1), dtype: dtype)
        h = Sequential((0..<layers).map { i in
            (String(i), TinyLM.block(dim: dim, heads: heads, key: key.with(a: UInt32(2 + 4 * i)), dtype: dtype)) as (name: String?, module: Module)
        })
        lnF = LayerNorm(dim, dtype: dtype)
        lmHead = Linear(dim, vocab, bias: false, key: key.with(a: UInt32(2 + 4 * layers)), dtype: dtype)
        super.init()
        register(module: wte, as: "wte")
        register(module: wpe, as: "wpe")
        register(module: h, as: "h")
        register(module: lnF, as: "ln_f")
        register(module: lmHead, as: "lm_head")
    }

    /// `x + attn(ln_1(x))`, then `x + mlp(ln_2(x))`: the residual branches add no names of their own.
    static func block(dim: Int, heads: Int, key: RandomKey, dtype: DType) -> Module {
        let attention = MultiHeadCausalSelfAttention(dim: dim, heads: heads, attentionKey: key, projectionKey: key.with(a: key.a + 1), dtype: dtype)
        let mlp = Sequential([("c_fc", Linear(dim, 4 * dim, key: key.with(a: key.a + 2), dtype: dtype)), ("gelu", GELU()),
                              ("c_proj", Linear(4 * dim, dim, key: key.with(a: key.a + 3), dtype: dtype))])
        return Sequential([("", Residual(Sequential([("ln_1", LayerNorm(dim, dtype: dtype)), ("attn", attention)]))),
                           ("", Residual(Sequential([("ln_2", LayerNorm(dim, dtype: dtype)), ("mlp", mlp)])))])
    }

    /// ids (B, T) → logits (B, T, vocab).
    override func forward(_ ids: Tensor) throws -> Tensor {
        let x = try wte(ids) + wpe(Tensor.arange(ids.shape[1]))
        return try lmHead(lnF(h(x)))
    }
}

/// The transformer layers against their PyTorch twins (PyTorchModuleFixtures.swift): state_dict
/// names, outputs, input and parameter gradients, in float64 and float32.
struct PyTorchModuleFixtureTests {
    static func values(_ n: Int, _ salt: Int, _ div: Double = 16) -> [Double] {
        (0..<n).map { Double(($0 * 37 + salt * 11) % 29 - 14) / div }
    }

    static let key = RandomKey(seed: 3, stream: .initialization)
    static let targets: [Int64] = [4, 1, 7, 2, 4, 4, 10, 0]

    /// Each case: the module, its input (float shape or int64 ids), and whether its output is the LM loss.
    static func cases(_ dtype: DType) -> [(name: String, module: Module, input: Tensor, loss: Bool)] {
        func floats(_ shape: [Int]) -> Tensor {
            Tensor(float64: values(shape.reduce(1, *), 3, 8), shape: shape).converted(to: dtype).requiringGrad()
        }
        let k = key
        return [
            ("embedding", Embedding(6, 3, key: k, dtype: dtype), Tensor(int64: [1, 4, 1, 5, 2, 5, 5, 0], shape: [2, 4]), false),
            ("residual", Residual(Sequential([("ln", LayerNorm(4, dtype: dtype)), ("fc", Linear(4, 4, key: k, dtype: dtype))])),
             floats([2, 3, 4]), false),
            ("concat", Concat([("wide", Linear(4, 3, key: k, dtype: dtype)),
                               ("deep", Sequential([("fc", Linear(4, 2, key: k.with(a: 1), dtype: dtype)), ("act", ReLU())]))], axis: -1),
             floats([2, 3, 4]), false),
            ("attention", MultiHeadCausalSelfAttention(dim: 8, heads: 2, attentionKey: k, projectionKey: k.with(a: 1), dtype: dtype),
             floats([2, 4, 8]), false),
            ("lm", TinyLM(vocab: 11, context: 4, dim: 8, heads: 2, layers: 1, key: k, dtype: dtype),
             Tensor(int64: [1, 4, 1, 7, 0, 4, 4, 10], shape: [2, 4]), true),
        ]
    }

    /// Runs every case in `dtype`: names checked, the twin's parameters loaded strictly by name;
    /// returns the worst relative error of each compared quantity.
    static func errors(_ dtype: DType) throws -> [(key: String, error: Double)] {
        let fixture = dtype == .float64 ? PyTorchModuleFixtures.float64 : PyTorchModuleFixtures.float32
        var out: [(String, Double)] = []
        var compared = 0
        for (name, module, input, loss) in cases(dtype) {
            let names = module.stateDict().map(\.name)
            #expect(names == PyTorchModuleFixtures.names[name], "\(name) state_dict names")
            var state: [String: Tensor] = [:]
            for (i, (key, tensor)) in module.stateDict().enumerated() {
                state[key] = Tensor(float64: values(tensor.count, 40 + i, 32), shape: tensor.shape).converted(to: dtype)
            }
            try module.loadStateDict(state, strict: true, source: name)
            var y = try module(input)
            let logits = y.scalars
            if loss {
                y = try Loss.crossEntropy(y.reshape([-1, y.shape.last!]), Tensor(int64: targets, shape: [targets.count]), reduction: .mean)
                out.append(("\(name).loss", FixtureComparison.relativeError(y.scalars, try #require(fixture["\(name).loss"]))))
                compared += 1
                try y.backward()
            } else {
                try (y * Tensor(float64: values(y.count, 99), shape: y.shape).converted(to: dtype)).sum().backward()
            }
            out.append(("\(name).out", FixtureComparison.relativeError(logits, try #require(fixture["\(name).out"]))))
            if input.requiresGrad {
                out.append(("\(name).grad.input", FixtureComparison.relativeError(try #require(input.grad).scalars,
                                                                                      try #require(fixture["\(name).grad.input"]))))
            }
            for (key, p) in module.namedParameters() {
                let expected = try #require(fixture["\(name).grad.\(key)"], "\(name).grad.\(key)")
                out.append(("\(name).grad.\(key)", FixtureComparison.relativeError(try #require(p.grad).scalars, expected)))
            }
            compared += 1 + (input.requiresGrad ? 1 : 0) + module.namedParameters().count
        }
        #expect(compared == fixture.count, "every fixture entry is compared")
        return out
    }

    @Test func float64MatchesPyTorch() throws {
        for (key, error) in try Self.errors(.float64) { #expect(error <= 1e-14, "\(key): \(error)") }
    }

    /// The language model's parameter gradients come back through the whole model (embeddings, two
    /// residual branches, three layer norms, the loss): 2e-6 for them (6.5e-7 measured), 1e-6 elsewhere.
    @Test func float32MatchesPyTorch() throws {
        for (key, error) in try Self.errors(.float32) {
            #expect(error <= (key.hasPrefix("lm.grad.") ? 2e-6 : 1e-6), "\(key): \(error)")
        }
    }
}

enum FixtureComparison {
    /// `max |actual − expected| / max |expected|`: the error relative to the quantity's largest element.
    static func relativeError(_ actual: [Double], _ expected: [Double]) -> Double {
        guard actual.count == expected.count else { return .infinity }
        let scale = max(expected.map(Swift.abs).max() ?? 0, 1e-300)
        return zip(actual, expected).map { Swift.abs($0 - $1) }.max().map { $0 / scale } ?? 0
    }
}
