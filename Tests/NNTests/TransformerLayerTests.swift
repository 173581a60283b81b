import Testing
import TensorCore
import Autograd
import NN

/// The transformer layers besides their values: names, modes, one-line errors, dropout on 3-D
/// activations, gradient checks of the layers, and the flat buffers of a model built from them.
struct TransformerLayerTests {
    static let key = RandomKey(seed: 11, stream: .initialization)

    static func random(_ shape: [Int], _ salt: UInt32, dtype: DType = .float32) -> Tensor {
        Tensor.uniform(shape, low: -1, high: 1, key: RandomKey(seed: 12, stream: .initialization, a: salt), dtype: dtype)
    }

    @Test func emptyNamesAddNoComponentAtAnyDepth() {
        let model = TinyLM(vocab: 7, context: 4, dim: 8, heads: 2, layers: 2, key: Self.key, dtype: .float32)
        let names = model.stateDict().map(\.name)
        #expect(names.contains("h.1.attn.c_attn.weight") && names.contains("h.0.mlp.c_proj.bias") && names.contains("h.0.ln_2.weight"))
        #expect(!names.contains { $0.contains("..") || $0.hasSuffix(".") || $0.hasPrefix(".") })
        // A Residual is listed under its parent's name, as its block is.
        let residuals = model.namedModules().filter { $0.module is Residual }.map(\.name)
        #expect(residuals == ["h.0", "h.0", "h.1", "h.1"])
    }

    @Test func embeddingInitialisationIsPyTorchsNormal() {
        let table = Embedding(200, 50, key: Self.key)
        let w = table.weight.scalars, mean = w.reduce(0, +) / Double(w.count)
        let variance = w.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(w.count)
        #expect(Swift.abs(mean) < 0.02 && Swift.abs(variance - 1) < 0.03)
        #expect(Embedding(200, 50, key: Self.key).weight.bitwiseEqual(table.weight))
        #expect(Swift.abs(Embedding(200, 50, std: 0.02, key: Self.key).weight.element(7) - 0.02 * table.weight.element(7)) < 1e-9)
        #expect(table.stateDict().map(\.name) == ["weight"] && table.summary == "Embedding(200, 50)")
    }

    @Test func errorsAreOneLine() throws {
        let attention = MultiHeadCausalSelfAttention(dim: 8, heads: 2, attentionKey: Self.key, projectionKey: Self.key.with(a: 1))
        let wrongWidth = #expect(throws: AutogradError.self) { try attention(Self.random([2, 3, 6], 1)) }
        #expect(wrongWidth?.description == "MultiHeadCausalSelfAttention(8, heads: 2): expects (B, T, 8) input, got shape [2, 3, 6]")
        let residual = Residual(Linear(4, 3, key: Self.key))
        let shape = #expect(throws: AutogradError.self) { try residual(Self.random([2, 4], 2)) }
        #expect(shape?.description == "Residual(Linear(4 → 3)): shapes [2, 4] and [2, 3] do not fit")
        let concat = Concat([("a", Linear(4, 3, key: Self.key)), ("b", Linear(4, 3, key: Self.key))], axis: 2)
        let axis = #expect(throws: AutogradError.self) { try concat(Self.random([2, 4], 3)) }
        #expect(axis?.description == "cat: axis 2 out of range for a 2-D tensor")
        let table = Embedding(5, 2, key: Self.key)
        let id = #expect(throws: AutogradError.self) { try table(Tensor(int64: [0, 9], shape: [2])) }
        #expect(id?.description == "embedding: id 9 is not a row of the (5, 2) table; ids must be whole numbers in 0..<5")
    }

    /// A (B, T, C) activation is dropped as the (B, T·C) matrix of its samples: the same mask, so
    /// a sequence's mask is keyed by its sample index like a row's.
    @Test func dropoutOnSequencesUsesTheMaskOfTheirRows() throws {
        let x = Self.random([3, 4, 5], 4)
        let context = SampleContext(seed: 9, step: 2, sampleIndices: [7, 1, 30])
        let (y3, y2) = try SampleContext.$current.withValue(context) {
            (try Dropout(p: 0.4, layerID: 2)(x), try Dropout(p: 0.4, layerID: 2)(x.view([3, 20])))
        }
        #expect(y3.shape == [3, 4, 5] && y3.view([3, 20]).bitwiseEqual(y2))
        #expect(y3.scalars.contains(0) && y3.scalars.contains { $0 != 0 })
        let tooWide = #expect(throws: AutogradError.self) { try Dropout(p: 0.1, layerID: 0)(Tensor.zeros([0, 1 << 12, 1 << 12])) }
        #expect(tooWide?.description.hasPrefix("Dropout: expects (N, …) input with fewer than 2^24 elements per sample") == true)
    }

    @Test func evalReachesLayersInsideResidualAndConcat() throws {
        let drop = Dropout(p: 0.5, layerID: 1)
        let model = Sequential([("", Residual(Sequential([("drop", drop)]))), ("cat", Concat([("d", drop), ("i", Sequential([Module]()))]))])
        model.eval()
        #expect(!drop.isTraining)
        let x = Self.random([2, 3], 5)
        #expect(try model(x).bitwiseEqual(try Tensor.concatenate([x * 2.0, x * 2.0], axis: -1)))
    }

    @Test func layersPassGradientChecks() throws {
        func check(_ name: String, _ module: Module, _ x: Tensor) throws {
            let result = try GradientCheck.check(name, inputs: [x.requiringGrad()] + module.parameters()) { try module($0[0]) }
            #expect(result.passed, "\(result)")
        }
        let d: DType = .float64
        try check("attention", MultiHeadCausalSelfAttention(dim: 6, heads: 3, attentionKey: Self.key, projectionKey: Self.key.with(a: 1), dtype: d),
                  Self.random([2, 3, 6], 6, dtype: d))
        try check("residual", Residual(Sequential([("ln", LayerNorm(4, dtype: d)), ("fc", Linear(4, 4, key: Self.key, dtype: d))])),
                  Self.random([2, 3, 4], 7, dtype: d))
        try check("concat", Concat([("a", Linear(4, 3, key: Self.key, dtype: d)), ("b", Tanh())]), Self.random([2, 3, 4], 8, dtype: d))
        let table = Embedding(5, 3, key: Self.key, dtype: d)
        let result = try GradientCheck.check("embedding", inputs: [table.weight]) { _ in try table(Tensor(int64: [4, 4, 0, 2], shape: [2, 2])) }
        #expect(result.passed, "\(result)")
    }

    /// Built on one flat buffer, the language model's gradients land in it, and a backward reports each
    /// parameter final once (the embeddings' rule writes into the flat buffer as Linear's does).
    @Test func aLanguageModelTrainsOnFlatBuffers() throws {
        let model = TinyLM(vocab: 7, context: 4, dim: 8, heads: 2, layers: 2, key: Self.key, dtype: .float32)
        let flat = FlatParameters(model)
        let ids = Tensor(int64: [1, 2, 3, 4, 6, 5, 4, 0], shape: [2, 4])
        let loss = try Loss.crossEntropy(model(ids).reshape([8, 7]), Tensor(int64: [2, 3, 4, 5, 5, 4, 0, 1], shape: [8]), reduction: .sum)
        var reported: [ObjectIdentifier: Int] = [:]
        try loss.backward(onLeafGradientFinal: { leaf, elements in reported[ObjectIdentifier(leaf), default: 0] += elements.count })
        for (name, tensor, range) in flat.entries {
            #expect(tensor.grad?.storage === flat.gradients.storage && tensor.grad?.offset == range.lowerBound, "\(name)")
            #expect(reported[ObjectIdentifier(tensor)] == tensor.count, "\(name) reported once, whole")
        }
        #expect(flat.gradients.scalars.contains { $0 != 0 })
    }
}
