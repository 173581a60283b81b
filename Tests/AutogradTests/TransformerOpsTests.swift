import Testing
import TensorCore
import Autograd

/// What the transformer ops promise besides their derivatives: values by hand, views, one-line errors,
/// the fused attention equal to its composition, and the embedding gradient's fixed order.
struct TransformerOpsTests {
    static func random(_ shape: [Int], _ salt: UInt32, dtype: DType = .float32) -> Tensor {
        Tensor.uniform(shape, low: -1, high: 1, key: RandomKey(seed: 5, stream: .initialization, a: salt), dtype: dtype)
    }

    @Test func movesByHand() throws {
        let x = Tensor([1, 2, 3, 4, 5, 6], shape: [1, 2, 3])
        #expect(try x.permute([2, 0, 1]).floatArray == [1, 4, 2, 5, 3, 6])
        #expect(try x.transpose(-1, -2).shape == [1, 3, 2])
        #expect(try x.slice(axis: 2, range: 1..<3).floatArray == [2, 3, 5, 6])
        let a = Tensor([1, 2], shape: [2, 1]), b = Tensor([3, 4, 5, 6], shape: [2, 2])
        #expect(try Tensor.concatenate([a, b], axis: 1).floatArray == [1, 3, 4, 2, 5, 6])
        #expect(try Tensor.concatenate([b, b], axis: 0).floatArray == [3, 4, 5, 6, 3, 4, 5, 6])
        // The head split of attention, (B, T, H, D) → (B, H, T, D), copies runs of D.
        let heads = Tensor((0..<24).map(Float.init), shape: [1, 3, 2, 4]).permuted([0, 2, 1, 3])
        #expect(heads.floatArray == [0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19, 4, 5, 6, 7, 12, 13, 14, 15, 20, 21, 22, 23])
    }

    @Test func leadingSlicesAreViews() throws {
        let x = Self.random([4, 3], 1)
        let rows = try x.slice(axis: 0, range: 1..<3)
        #expect(rows.storage === x.storage && rows.offset == 3)
        #expect(try x.slice(axis: 1, range: 0..<2).storage !== x.storage)
    }

    @Test func errorsAreOneLine() throws {
        let x = Self.random([2, 3, 4], 2)
        func message(_ body: () throws -> Tensor) -> String? {
            (#expect(throws: AutogradError.self) { _ = try body() })?.description
        }
        #expect(message { try x.permute([0, 1]) } == "permute: [0, 1] does not list the 3 axes of shape [2, 3, 4]")
        #expect(message { try x.permute([0, 1, 1]) } == "permute: [0, 1, 1] is not a permutation of the axes of shape [2, 3, 4]")
        #expect(message { try x.transpose(0, 3) } == "transpose: axis 3 out of range for a 3-D tensor")
        #expect(message { try x.slice(axis: 1, range: 2..<5) } == "slice: range 2..<5 out of bounds for axis 1 of shape [2, 3, 4]")
        #expect(message { try Tensor.concatenate([x, Self.random([2, 2, 3], 3)], axis: 1) } == "cat: shapes [2, 3, 4] and [2, 2, 3] do not fit")
        #expect(message { try Tensor.concatenate([x, x.converted(to: .float64)], axis: 0) } == "cat: dtypes float32 and float64 differ")
        #expect(message { try Tensor.concatenate([], axis: 0) } == "cat: needs at least one tensor")
        #expect(message { try x.matmul(Self.random([3, 4, 2], 4)) } == "matmul: shapes [2, 3, 4] and [3, 4, 2] do not fit")
        #expect(message { try x.matmul(Self.random([2, 3, 2], 5)) } == "matmul: shapes [2, 3, 4] and [2, 3, 2] do not fit")
        #expect(message { try x.matmul(Self.random([4], 6)) } == "matmul: shapes [2, 3, 4] and [4] do not fit")
        #expect(message { try x.softmax(axis: 3) } == "softmax: axis 3 out of range for a 3-D tensor")
        #expect(message { try x.logSoftmax(axis: -4) } == "log_softmax: axis -4 out of range for a 3-D tensor")
        #expect(message { try x.causalSoftmax() } == "causal_softmax: expects square (…, T, T) scores, got shape [2, 3, 4]")
        let table = Self.random([5, 3], 7)
        #expect(message { try Tensor.embedding(Tensor(int64: [1, 5], shape: [2]), weight: table) }
                == "embedding: id 5 is not a row of the (5, 3) table; ids must be whole numbers in 0..<5")
        #expect(message { try Tensor.embedding(Tensor(float32: [1.5], shape: [1]), weight: table) }
                == "embedding: id 1.5 is not a row of the (5, 3) table; ids must be whole numbers in 0..<5")
        #expect(message { try Tensor.embedding(Tensor(int64: [-1], shape: [1]), weight: table) }?.hasPrefix("embedding: id -1 is not a row") == true)
        #expect(message { try Tensor.embedding(Tensor(int64: [0], shape: [1]), weight: Self.random([5], 8)) }
                == "embedding: expects a float (V, D) weight, got float32 [5]")
        #expect(message { try Tensor.causalSelfAttention(Self.random([2, 3, 10], 9), heads: 2) }
                == "causal_self_attention: expects (B, T, 3C) with C a positive multiple of 2 heads, got shape [2, 3, 10]")
        #expect(message { try Tensor.causalSelfAttention(Self.random([3, 12], 10), heads: 2) }?.hasSuffix("got shape [3, 12]") == true)
        #expect(message { try Tensor.linear(x, weight: Self.random([5, 3], 11), bias: nil) } == "linear: shapes [2, 3, 4] and [5, 3] do not fit")
        let all = [message { try x.permute([0, 1]) }, message { try x.causalSoftmax() }]
        #expect(all.allSatisfy { $0?.contains("\n") == false })
    }

    /// The fused op is the composition of slice, reshape, transpose, matmul and causal softmax.
    @Test(arguments: [DType.float64, .float32])
    func fusedAttentionIsItsComposition(dtype: DType) throws {
        let (b, t, c, heads) = (2, 5, 12, 3)
        let qkv = Self.random([b, t, 3 * c], 12, dtype: dtype).requiringGrad()
        let g = Self.random([b, t, c], 13, dtype: dtype)
        let fused = try Tensor.causalSelfAttention(qkv, heads: heads)
        try fused.backward(g)
        let fusedGrad = try #require(qkv.grad).scalars
        qkv.grad = nil
        let (q, k, v) = (try qkv.slice(axis: 2, range: 0..<c), try qkv.slice(axis: 2, range: c..<2 * c), try qkv.slice(axis: 2, range: 2 * c..<3 * c))
        let split = { (x: Tensor) in try x.reshape([b, t, heads, c / heads]).transpose(1, 2) }   // (B, H, T, D)
        let p = try split(q).matmul(split(k), transposeOther: true).causalSoftmax(scale: 1 / Double(c / heads).squareRoot())
        let y = try p.matmul(split(v)).transpose(1, 2).reshape([b, t, c])
        try y.backward(g)
        let tolerance = dtype == .float64 ? 1e-14 : 1e-6
        #expect(PyTorchOpFixtureTests.relativeError(fused.scalars, y.scalars) <= tolerance)
        #expect(PyTorchOpFixtureTests.relativeError(fusedGrad, try #require(qkv.grad).scalars) <= tolerance)
    }

    /// A row picked at several positions sums their gradients in position order: 2²⁵ + 1 rounds to 2²⁵ in
    /// float32, so (0 + 2²⁵ + 1) − 2²⁵ is 0 where any other grouping gives 1.
    @Test func embeddingGradientAddsPositionsInOrder() throws {
        let table = Tensor.zeros([3, 1]).requiringGrad()
        let ids = Tensor(int64: [2, 2, 0, 2], shape: [4])
        try Tensor.embedding(ids, weight: table).backward(Tensor([33_554_432, 1, 7, -33_554_432], shape: [4, 1]))
        #expect(try #require(table.grad).floatArray == [7, 0, 0])
        // A second use of the same table adds its own gradient, formed apart, into .grad.
        let loss = try (Tensor.embedding(Tensor(int64: [1], shape: [1]), weight: table).sum() + Tensor.embedding(ids, weight: table).sum())
        table.grad = nil
        try loss.backward()
        #expect(try #require(table.grad).floatArray == [1, 1, 3])
    }

    /// Linear on (B, T, in) is Linear on the (B·T, in) matrix of its rows: the same bits, forward and backward.
    @Test func rank3LinearIsTheMatrixOfItsRows() throws {
        let x = Self.random([4, 5, 6], 14), w = Self.random([3, 6], 15).requiringGrad(), bias = Self.random([3], 16).requiringGrad()
        let g = Self.random([4, 5, 3], 17)
        let x3 = x.copy().requiringGrad(), x2 = x.copy().view([20, 6]).requiringGrad()
        let y3 = try Tensor.linear(x3, weight: w, bias: bias)
        try y3.backward(g)
        let (w3, b3) = (try #require(w.grad).copy(), try #require(bias.grad).copy())
        zeroGrad([w, bias])
        let y2 = try Tensor.linear(x2, weight: w, bias: bias)
        try y2.backward(g.view([20, 3]))
        #expect(y3.shape == [4, 5, 3] && y3.view([20, 3]).bitwiseEqual(y2))
        #expect(try #require(x3.grad).view([20, 6]).bitwiseEqual(try #require(x2.grad)))
        #expect(try w3.bitwiseEqual(#require(w.grad)) && b3.bitwiseEqual(#require(bias.grad)))
    }

    @Test func integerTensors() {
        #expect(Tensor.arange(4).scalars == [0, 1, 2, 3] && Tensor.arange(4).dtype == .int64)
        #expect(Tensor(int64: [5, 0], shape: [2]).rowIndices(below: 6) == [5, 0])
        #expect(Tensor(int64: [6], shape: [1]).rowIndices(below: 6) == nil)
        #expect(Tensor(float32: [2, 0.5], shape: [2]).rowIndices(below: 6) == nil)
        #expect(Tensor(float64: [2, 3], shape: [2]).rowIndices(below: 6) == [2, 3])
    }
}

/// The tanh-approximate GELU at its edges, and its float32 kernel against float64 at every position
/// of a chunk (the last one padded).
struct GELUTanhTests {
    @Test func edgesAndPrecision() throws {
        let xs: [Double] = [-1000, -30, -3, -0.5, 0, 0.25, 1, 4, 30, 1000, .infinity]
        let y = try Tensor(float32: xs.map(Float.init), shape: [xs.count]).geluTanh().scalars
        let exact = try Tensor(float64: xs, shape: [xs.count]).geluTanh().scalars
        #expect(y[0] == 0 && y[1] == 0 && y[4] == 0 && y[8] == 30 && y[9] == 1000 && y[10] == .infinity, "\(y)")
        for i in 2..<8 { #expect(Swift.abs(y[i] - exact[i]) <= 4e-7 * max(1, Swift.abs(exact[i])), "\(xs[i])") }
        let wide = (0..<21).map { Double($0) * 0.4 - 4 }
        let x32 = Tensor(float32: wide.map(Float.init), shape: [21]).requiringGrad(), x64 = Tensor(float64: wide, shape: [21]).requiringGrad()
        try x32.geluTanh().sum().backward()
        try x64.geluTanh().sum().backward()
        for (a, b) in zip(try #require(x32.grad).scalars, try #require(x64.grad).scalars) { #expect(Swift.abs(a - b) <= 1e-6) }
    }
}
