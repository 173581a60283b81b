import Testing
import TensorCore
import Autograd

/// The worked examples every autograd engine should reproduce exactly.
struct SeedExampleTests {
    func scalar(_ v: Double) -> Tensor { Tensor.full([1], v, dtype: .float64).requiringGrad() }

    @Test func linearSquaredError() throws {
        // y = w·x + b with w=2, x=3, b=1; L = (y − 10)² → dL/dw = 2(y−10)·x = −18, dL/db = −6.
        let w = scalar(2), b = scalar(1), x = Tensor.full([1], 3, dtype: .float64)
        let loss = try (w * x + b - 10).pow(2).sum()
        try loss.backward()
        #expect(w.grad!.item == -18)
        #expect(b.grad!.item == -6)
    }

    @Test func reluActive() throws {
        // y = relu(0.5·4 − 1.5) = 0.5; L = (y − 3)² → dL/dw = 2(−2.5)·4 = −20, dL/db = −5.
        let w = scalar(0.5), b = scalar(-1.5), x = Tensor.full([1], 4, dtype: .float64)
        try (w * x + b).relu().sub(3).pow(2).sum().backward()
        #expect(w.grad!.item == -20)
        #expect(b.grad!.item == -5)
    }

    @Test func reluInactiveGivesExactZero() throws {
        let w = scalar(0.5), b = scalar(-3), x = Tensor.full([1], 4, dtype: .float64)
        try (w * x + b).relu().sub(3).pow(2).sum().backward()
        #expect(w.grad!.item == 0)
        #expect(b.grad!.item == 0)
    }
}

extension Tensor {
    func sub(_ s: Double) throws -> Tensor { try self - s }
}
