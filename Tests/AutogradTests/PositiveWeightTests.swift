import Foundation
import Testing
import TensorCore
import Autograd

/// BCE with `pos_weight`: values against PyTorch's definition, the derivative by finite differences,
/// and p = 1 equal to plain BCE.
struct PositiveWeightTests {
    @Test func valuesMatchTheDefinition() throws {
        let logits: [Double] = [-30, -2.5, -0.3, 0, 0.7, 3, 40], labels: [Double] = [1, 0, 1, 1, 0, 1, 0]
        let p = 3.5
        let loss = try Loss.binaryCrossEntropyWithLogits(Tensor(float64: logits, shape: [7, 1]), Tensor(float64: labels, shape: [7, 1]),
                                                         positiveWeight: p, reduction: .none)
        for i in 0..<7 {
            // −[p·y·log σ(x) + (1 − y)·log(1 − σ(x))], with log σ(x) = −softplus(−x) evaluated stably.
            let x = logits[i], y = labels[i]
            let softplusMinus = max(-x, 0) + log1p(exp(-abs(x))), softplusPlus = max(x, 0) + log1p(exp(-abs(x)))
            let expected = p * y * softplusMinus + (1 - y) * softplusPlus
            #expect(abs(loss.element(i) - expected) <= 1e-12 * max(1, abs(expected)), "x = \(x), y = \(y)")
        }
    }

    @Test func derivativeByFiniteDifferences() throws {
        let logits = Tensor.uniform([6, 1], low: -4, high: 4, key: RandomKey(seed: 5, stream: .initialization), dtype: .float64).requiringGrad()
        let targets = Tensor(float64: [0, 1, 1, 0, 1, 0], shape: [6, 1])
        for r in Reduction.allCases {
            let result = try GradientCheck.check("bce pos_weight \(r)", inputs: [logits], tolerance: 1e-6) {
                try Loss.binaryCrossEntropyWithLogits($0[0], targets, positiveWeight: 2.5, reduction: r)
            }
            #expect(result.passed, "\(result)")
        }
    }

    @Test func weightOneIsPlainBCE() throws {
        let logits = Tensor(float32: [-3, -0.5, 0.25, 2], shape: [4, 1]), targets = Tensor(float32: [1, 0, 1, 0], shape: [4, 1])
        let weighted = try Loss.binaryCrossEntropyWithLogits(logits, targets, positiveWeight: 1, reduction: .none)
        let plain = try Loss.binaryCrossEntropyWithLogits(logits, targets, reduction: .none)
        for i in 0..<4 { #expect(abs(weighted.element(i) - plain.element(i)) < 1e-6) }
        #expect(throws: AutogradError.self) { try Loss.binaryCrossEntropyWithLogits(logits, targets, positiveWeight: 0) }
    }
}
