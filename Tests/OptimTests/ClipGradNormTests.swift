import Testing
import TensorCore
import Optim

@Suite("clipGradNorm against torch.nn.utils.clip_grad_norm_")
struct ClipGradNormTests {
    static let cases: [(DType, ClipFixture)] = [
        (.float64, PyTorchFixtures.clipClippedFloat64), (.float64, PyTorchFixtures.clipUnclippedFloat64),
        (.float32, PyTorchFixtures.clipClippedFloat32), (.float32, PyTorchFixtures.clipUnclippedFloat32),
    ]

    @Test(arguments: 0..<4)
    func matchesPyTorch(_ index: Int) {
        let (dtype, fixture) = Self.cases[index]
        let params = Inputs.parameters(dtype)
        Inputs.setGrads(params, step: 1)     // layer2.weight has no gradient: skipped
        let total = clipGradNorm(params, maxNorm: fixture.maxNorm)
        // PyTorch sums float32 squares in float32; we accumulate in Double (closer to the truth).
        expectClose([total], [fixture.total], relative: tolerance(dtype), "total norm")
        for (i, (name, p)) in params.enumerated() {
            if let expected = fixture.grads[i] {
                expectClose(p.grad?.scalars ?? [], expected, relative: tolerance(dtype), "\(dtype) \(name).grad")
            } else {
                #expect(p.grad == nil)
            }
        }
    }

    @Test func unclippedGradientsKeepTheirBits() {
        let params = Inputs.parameters(.float32)
        Inputs.setGrads(params, step: 0)
        let before = params.compactMap { $0.tensor.grad?.copy() }
        clipGradNorm(params.map(\.tensor), maxNorm: 1e6)
        let after = params.compactMap(\.tensor.grad)
        #expect(zip(before, after).allSatisfy { $0.bitwiseEqual($1) })
    }

    @Test func handComputedNorm() {
        // Gradients (3, 4) and (12): total norm 13, clipped to 6.5 by a factor 6.5/(13 + 1e-6).
        let a = Tensor.zeros([2], dtype: .float64), b = Tensor.zeros([1], dtype: .float64)
        a.grad = Inputs.tensor([3, 4], shape: [2], dtype: .float64)
        b.grad = Inputs.tensor([12], shape: [1], dtype: .float64)
        let total = clipGradNorm([a, b], maxNorm: 6.5)
        #expect(total == 13)
        let coefficient = 6.5 / (13 + 1e-6)
        #expect(a.grad?.scalars == [3 * coefficient, 4 * coefficient])
        #expect(b.grad?.scalars == [12 * coefficient])
    }

    @Test func noGradientsGiveZero() {
        #expect(clipGradNorm([Tensor.zeros([3])], maxNorm: 1) == 0)
        #expect(clipGradNorm([Tensor](), maxNorm: 1) == 0)
    }

    @Test func nonFiniteGradientIsReportedAndPropagates() {
        let a = Tensor.zeros([2])
        a.grad = Inputs.tensor([.nan, 1], shape: [2], dtype: .float32)
        let total = clipGradNorm([a], maxNorm: 1)
        #expect(total.isNaN)
        #expect(a.grad?.scalars.allSatisfy(\.isNaN) == true)   // as torch with error_if_nonfinite=False
    }
}
