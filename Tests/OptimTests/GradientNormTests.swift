import Testing
import Foundation
import TensorCore
import Optim

/// The one grouping of the gradient norm (`GradientNorm`), which optimizer sharding relies on.
struct GradientNormTests {
    /// A buffer of `count` float32 values over many magnitudes, so that grouping shows in the bits.
    static func values(_ count: Int, seed: UInt64) -> Tensor {
        let t = Tensor.zeros([count])
        var state = seed
        for i in 0..<count {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            let u = Double(state >> 11) / Double(1 << 53)
            t.floats[i] = Float((u - 0.5) * pow(10, Double(i % 9) - 4))
        }
        return t
    }

    /// The definition, written out: blocks of 1024, lanes i mod 8 summed in order, lanes added
    /// pairwise, block sums added in order.
    static func reference(_ t: Tensor) -> Double {
        var total = 0.0
        var start = 0
        while start < t.count {
            var lanes = [Double](repeating: 0, count: 8)
            for i in start..<min(start + 1024, t.count) {
                let x = Double(t.floats[i])
                lanes[(i - start) % 8] += x * x
            }
            total += ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3])) + ((lanes[4] + lanes[5]) + (lanes[6] + lanes[7]))
            start += 1024
        }
        return total
    }

    @Test(arguments: [1, 7, 1024, 1025, 5000, 65_537])
    func blockSumsFollowTheDefinition(count: Int) {
        let t = Self.values(count, seed: UInt64(count))
        let total = GradientNorm.total(GradientNorm.blockSquaredSums(t, elements: 0..<count))
        #expect(total.bitPattern == Self.reference(t).bitPattern)
        // And it is the sum of squares, to rounding.
        let naive = (0..<count).reduce(0.0) { $0 + Double(t.floats[$1]) * Double(t.floats[$1]) }
        #expect(abs(total - naive) <= 1e-12 * naive)
    }

    @Test func shardsOnBlockBoundariesGiveTheWholeBits() {
        let count = 10_000
        let t = Self.values(count, seed: 3)
        let whole = GradientNorm.blockSquaredSums(t, elements: 0..<count)
        for cuts in [[0, 4096, 7168, 10_000], [0, 1024, 2048, 10_000], [0, 10_000, 10_000]] {
            let parts = zip(cuts, cuts.dropFirst()).flatMap { GradientNorm.blockSquaredSums(t, elements: $0..<$1) }
            #expect(parts == whole)
            #expect(GradientNorm.total(parts).bitPattern == GradientNorm.total(whole).bitPattern)
        }
    }

    @Test func perTensorAndFlatFormsAgreeBitwiseAcrossTensorBoundaries() {
        // Tensors that cut blocks anywhere, one of them without a gradient (zeros in the flat form).
        let sizes = [700, 1500, 33, 2000, 900]
        let total = sizes.reduce(0, +)
        let flat = Self.values(total, seed: 9)
        var offset = 0
        var tensors: [Tensor] = []
        for (k, n) in sizes.enumerated() {
            let p = Tensor.zeros([n])
            if k == 2 {
                for i in 0..<n { flat.floats[offset + i] = 0 }
            } else {
                let g = Tensor.zeros([n])
                for i in 0..<n { g.floats[i] = flat.floats[offset + i] }
                p.grad = g
            }
            tensors.append(p)
            offset += n
        }
        for maxNorm in [1e9, 0.01] {
            let copies = tensors.map { t -> Tensor in
                let c = Tensor.zeros(t.shape)
                c.grad = t.grad?.copy()
                return c
            }
            let flatCopy = flat.copy()
            let a = clipGradNorm(copies, maxNorm: maxNorm)
            let b = clipGradNorm(flatGradients: flatCopy, maxNorm: maxNorm)
            #expect(a.bitPattern == b.bitPattern, "maxNorm \(maxNorm)")
            var o = 0
            for (k, c) in copies.enumerated() {
                if let g = c.grad {
                    #expect((0..<g.count).allSatisfy { g.floats[$0].bitPattern == flatCopy.floats[o + $0].bitPattern }, "tensor \(k)")
                }
                o += sizes[k]
            }
        }
    }
}
