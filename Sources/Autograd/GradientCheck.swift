import TensorCore

/// The outcome of comparing an op's analytic gradient with central finite differences.
public struct GradientCheckResult: Sendable, CustomStringConvertible {
    public let name: String
    /// Largest `|analytic − numeric| / max(1, |numeric|)` over all checked elements.
    public let worstError: Double
    public let tolerance: Double
    public let checkedElements: Int
    public var passed: Bool { worstError <= tolerance }

    public var description: String {
        "\(name): worst error \(String(format: "%.2e", worstError)) over \(checkedElements) elements — \(passed ? "pass" : "FAIL")"
    }
}

/// Finite-difference gradient checking, in float64.
///
/// ```swift
/// let x = Tensor.uniform([3, 4], low: -1, high: 1, key: key, dtype: .float64).requiringGrad()
/// let result = try GradientCheck.check("tanh", inputs: [x]) { try $0[0].tanh() }
/// #expect(result.passed)
/// ```
public enum GradientCheck {
    /// Checks `∂f/∂inputs` for every input that requires grad. A non-scalar output is contracted with
    /// fixed pseudo-random weights, so that every output element's vector-Jacobian product is checked.
    public static func check(_ name: String, inputs: [Tensor], epsilon: Double = 1e-6, tolerance: Double = 1e-6,
                             _ f: ([Tensor]) throws -> Tensor) throws -> GradientCheckResult {
        precondition(inputs.allSatisfy { $0.dtype == .float64 }, "gradient checks run in float64")
        var weights: Tensor?
        func objective() throws -> Tensor {
            let out = try f(inputs)
            if out.count == 1 { return try out.sum() }
            if weights == nil {
                weights = Tensor.uniform(out.shape, low: 0.5, high: 1.5,
                                         key: RandomKey(seed: 0x6772_6164, stream: .initialization), dtype: .float64)
            }
            return try (out * weights!).sum()
        }

        zeroGrad(inputs)
        try objective().backward()
        var worst = 0.0, checked = 0
        for input in inputs where input.requiresGrad {
            let analytic = input.grad
            for i in 0..<input.count {
                let original = input.element(i)
                input.setElement(i, original + epsilon)
                let plus = try noGrad { try objective().item }
                input.setElement(i, original - epsilon)
                let minus = try noGrad { try objective().item }
                input.setElement(i, original)
                let numeric = (plus - minus) / (2 * epsilon)
                let a = analytic?.element(i) ?? 0
                worst = max(worst, Swift.abs(a - numeric) / max(1, Swift.abs(numeric)))
                checked += 1
            }
        }
        zeroGrad(inputs)
        return GradientCheckResult(name: name, worstError: worst, tolerance: tolerance, checkedElements: checked)
    }
}
