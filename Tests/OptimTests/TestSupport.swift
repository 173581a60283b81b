import Testing
import TensorCore
import Optim

/// The inputs of the PyTorch fixtures as tensors, and comparison helpers.
enum Inputs {
    /// A tensor of `dtype` holding `values` (float32 rounds each value once, as `torch.tensor` does).
    static func tensor(_ values: [Double], shape: [Int], dtype: DType) -> Tensor {
        let t = Tensor.zeros(shape, dtype: dtype)
        for (i, v) in values.enumerated() { t.setElement(i, v) }
        return t
    }

    /// Fresh copies of the fixture parameters, named as in the fixture script.
    static func parameters(_ dtype: DType) -> [(name: String, tensor: Tensor)] {
        (0..<PyTorchFixtures.names.count).map { i in
            (PyTorchFixtures.names[i],
             tensor(PyTorchFixtures.initial[i], shape: PyTorchFixtures.shapes[i], dtype: dtype))
        }
    }

    /// Sets the fixture gradients of step `step` (nil where the script has None).
    static func setGrads(_ params: [(name: String, tensor: Tensor)], step: Int) {
        for (i, (_, p)) in params.enumerated() {
            p.grad = PyTorchFixtures.grads[step][i].map { tensor($0, shape: p.shape, dtype: p.dtype) }
        }
    }
}

/// Expects `actual` to match `expected` elementwise within `relative` tolerance (plus a tiny
/// absolute floor so that exact zeros compare).
func expectClose(_ actual: [Double], _ expected: [Double], relative: Double, _ what: String,
                 sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(actual.count == expected.count, "\(what): count", sourceLocation: sourceLocation)
    for (i, (a, e)) in zip(actual, expected).enumerated() {
        #expect(abs(a - e) <= relative * abs(e) + 1e-300,
                "\(what)[\(i)]: \(a) vs PyTorch \(e) (rel. error \(abs(a - e) / abs(e)))",
                sourceLocation: sourceLocation)
    }
}

/// The tolerance the brief sets per dtype: float64 to 1e-12, float32 to ~1e-6, relative.
func tolerance(_ dtype: DType) -> Double { dtype == .float64 ? 1e-12 : 1e-6 }
