import Testing
import TensorCore
import Autograd

struct StraightThroughTests {
    static let x: [Double] = [-2.5, -1.5, -1, -0.6, -0.5, 0, 0.4, 0.5, 1, 1.5, 2.5]
    static let weights: [Double] = Array(1...11).map(Double.init)

    /// x.grad after backward of Σ wᵢ·f(xᵢ).
    func gradient(_ f: (Tensor) throws -> Tensor) throws -> [Double] {
        let x = Tensor(float64: Self.x, shape: [Self.x.count]).requiringGrad()
        try (f(x) * Tensor(float64: Self.weights, shape: [Self.weights.count])).sum().backward()
        return x.grad!.scalars
    }

    @Test func roundSTERoundsHalfToEven() throws {
        let x = Tensor(float64: Self.x, shape: [Self.x.count])
        #expect(try x.roundSTE().scalars == [-2, -2, -1, -1, -0, 0, 0, 0, 1, 2, 2])
        #expect(try x.roundSTE(clip: true).scalars == [-2, -2, -1, -1, -0, 0, 0, 0, 1, 2, 2])
        let f = Tensor([0.5, 1.5, 2.5, -3.7], shape: [4])
        #expect(try f.roundSTE().floatArray == [0, 2, 2, -4])
    }

    @Test func signSTETakesTheSign() throws {
        let x = Tensor(float64: Self.x, shape: [Self.x.count])
        #expect(try x.signSTE().scalars == [-1, -1, -1, -1, -1, 0, 1, 1, 1, 1, 1])
        #expect(try x.signSTE(clip: true).scalars == [-1, -1, -1, -1, -1, 0, 1, 1, 1, 1, 1])
    }

    @Test func gradientsPassStraightThrough() throws {
        #expect(try gradient { try $0.roundSTE() } == Self.weights)
        #expect(try gradient { try $0.signSTE() } == Self.weights)
    }

    @Test func clippedGradientsPassOnlyWhereTheInputIsWithinOne() throws {
        // |x| ≤ 1 at indices 2…8 (±1 included).
        let expected = Self.weights.enumerated().map { i, w in Swift.abs(Self.x[i]) <= 1 ? w : 0 }
        #expect(expected == [0, 0, 3, 4, 5, 6, 7, 8, 9, 0, 0])
        #expect(try gradient { try $0.roundSTE(clip: true) } == expected)
        #expect(try gradient { try $0.signSTE(clip: true) } == expected)
    }

    @Test func estimatorsComposeInAGraph() throws {
        // Quantise w to steps of 1/4 and train as if it were w: ∂/∂w Σ round(4w)/4 · x = x.
        let w = Tensor([0.1, 0.37, -0.8], shape: [3]).requiringGrad()
        let x = Tensor([2, -1, 3], shape: [3])
        let q = try (w * 4.0).roundSTE() / 4.0
        #expect(q.floatArray == [0, 0.25, -0.75])   // round(0.4), round(1.48), round(−3.2)
        try (q * x).sum().backward()
        #expect(w.grad!.floatArray == [2, -1, 3])
        #expect(q.node != nil)
        #expect(try noGrad { try w.signSTE() }.node == nil)
    }
}
