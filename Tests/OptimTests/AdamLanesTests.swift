import Testing
import TensorCore
import Optim

/// Adam's float32 update runs eight elements at a time without AMSGrad; each lane must get the bits
/// of the scalar loop, which an optimizer over one element (all tail) still takes.
struct AdamLanesTests {
    static func values(_ n: Int, _ salt: Int, _ div: Float) -> [Float] {
        (0..<n).map { Float(($0 * 37 + salt * 11) % 53 - 26) / div }
    }

    @Test(arguments: [(0.9, false), (0.3, false), (0.9, true), (0.3, true)])
    func lanesHaveTheScalarLoopsBits(beta1: Double, decoupled: Bool) throws {
        let n = 27   // three chunks of eight and a tail
        let whole = Tensor(float32: Self.values(n, 1, 9), shape: [n])
        let single = (0..<n).map { Tensor(float32: [whole.floatArray[$0]], shape: [1]) }
        let make = { (params: [(name: String, tensor: Tensor)]) in
            try Adam(parameters: params, lr: 0.01, betas: (beta1, 0.95), weightDecay: 0.1, decoupledWeightDecay: decoupled)
        }
        let a = try make([("w", whole)]), b = try single.map { try make([("w", $0)]) }
        for step in 0..<4 {
            let g = Self.values(n, 2 + step, 5)
            whole.grad = Tensor(float32: g, shape: [n])
            for (i, p) in single.enumerated() { p.grad = Tensor(float32: [g[i]], shape: [1]) }
            try a.step(elements: 0..<n, gradientScale: 0.25)
            for optimizer in b { try optimizer.step(elements: 0..<1, gradientScale: 0.25) }
        }
        #expect(whole.floatArray.map(\.bitPattern) == single.map { $0.floatArray[0].bitPattern })
    }
}
