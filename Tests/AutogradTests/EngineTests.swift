import Testing
import TensorCore
import Autograd

struct EngineTests {
    func leaf(_ values: [Double]) -> Tensor { Tensor(float64: values, shape: [values.count]).requiringGrad() }

    @Test func gradientsAccumulateUntilZeroed() throws {
        let w = leaf([1, 2, 3]), x = Tensor(float64: [4, 5, 6], shape: [3])
        try (w * x).sum().backward()
        #expect(w.grad!.scalars == [4, 5, 6])
        try (w * x).sum().backward()
        #expect(w.grad!.scalars == [8, 10, 12])
        zeroGrad([w], setToNil: false)
        #expect(w.grad!.scalars == [0, 0, 0])
        zeroGrad([w])
        #expect(w.grad == nil)
        try (w * x).sum().backward()
        #expect(w.grad!.scalars == [4, 5, 6])
    }

    @Test func secondBackwardWithoutRetainThrows() throws {
        let w = leaf([1, 2]), x = Tensor(float64: [3, 4], shape: [2])
        let loss = try (w * x).exp().sum()
        try loss.backward()
        #expect(throws: AutogradError.self) { try loss.backward() }
        do { try loss.backward() } catch { #expect("\(error)".contains("retainGraph")) }
    }

    @Test func retainGraphAllowsASecondBackward() throws {
        let w = leaf([0.3, -0.7]), x = Tensor(float64: [2, 3], shape: [2])
        let hidden = try (w * x).tanh()
        let lossA = try hidden.sum(), lossB = try hidden.pow(2).sum()
        try lossA.backward(retainGraph: true)
        try lossB.backward()
        let both = w.grad!.scalars

        let w2 = leaf([0.3, -0.7])
        let h2 = try (w2 * x).tanh()
        try (h2.sum() + h2.pow(2).sum()).backward()
        for (a, b) in zip(both, w2.grad!.scalars) { #expect(Swift.abs(a - b) < 1e-14) }
    }

    @Test func sharedSubexpressionsSumTheirGradients() throws {
        // y = x·x + x: dy/dx = 2x + 1, with x used by three edges.
        let x = leaf([1.5, -2])
        try (x * x + x).sum().backward()
        #expect(x.grad!.scalars == [4, -3])
    }

    @Test func deepChainsDoNotOverflowTheStack() throws {
        let x = leaf([1])
        var y = x
        for _ in 0..<20_000 { y = try y * 1.0 }
        try y.sum().backward()
        #expect(x.grad!.scalars == [1])
    }

    @Test func noGradRecordsNothing() throws {
        let w = leaf([1, 2])
        let y = try noGrad { try w * 2.0 }
        #expect(!y.requiresGrad && y.node == nil)
        // A no-grad output may enter a graph later.
        let z = try (y * w).sum()
        try z.backward()
        #expect(w.grad!.scalars == [2, 4])
    }

    @Test func enableGradInsideNoGrad() throws {
        let w = leaf([1, 2])
        let y = try noGrad { try enableGrad { try w * 3.0 } }
        #expect(y.requiresGrad)
    }

    @Test func inferenceOutputsCannotEnterAGraph() throws {
        let w = leaf([1, 2])
        let frozen = try inferenceMode { try w * 2.0 }
        #expect(frozen.isInferenceTensor && !frozen.requiresGrad)
        #expect(throws: AutogradError.inferenceTensorInGraph(op: "mul")) { try frozen * w }
        // Nesting noGrad inside inference mode keeps inference mode.
        let nested = try inferenceMode { try noGrad { try w * 2.0 } }
        #expect(nested.isInferenceTensor)
    }

    @Test func badShapesThrowClearErrors() throws {
        let a = Tensor.zeros([2, 3]), b = Tensor.zeros([4, 5])
        #expect(throws: AutogradError.shapeMismatch(op: "add", lhs: [2, 3], rhs: [4, 5])) { try a + b }
        #expect(throws: AutogradError.shapeMismatch(op: "matmul", lhs: [2, 3], rhs: [4, 5])) { try a.matmul(b) }
        #expect(throws: AutogradError.implicitGradientOfNonScalar(shape: [2, 3])) {
            try (a.requiringGrad() * 2.0).backward()
        }
    }
}
