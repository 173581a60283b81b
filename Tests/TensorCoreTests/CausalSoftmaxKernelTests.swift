import Testing
import TensorCore

/// The float32 causal softmax of (…, T, T) with T a multiple of 8 (whole chunks, the lanes after the
/// diagonal masked): each row has the bits of the row kernel on its first i + 1 elements, whatever
/// lies above the diagonal; its gradient agrees with float64.
struct CausalSoftmaxKernelTests {
    static func values(_ n: Int, _ salt: Int) -> [Double] {
        (0..<n).map { Double(($0 * 37 + salt * 11) % 61 - 30) / 7 }
    }

    @Test(arguments: [8, 16, 64])
    func rowsHaveTheRowKernelsBits(t: Int) {
        var xs = Self.values(2 * t * t, 1)
        for m in 0..<2 { for i in 0..<t { for j in (i + 1)..<t where j % 3 == 0 { xs[m * t * t + i * t + j] = j % 2 == 0 ? .nan : .infinity } } }
        let x = Tensor(float32: xs.map(Float.init), shape: [2, t, t])
        let y = Tensor.causalSoftmaxForward(x, scale: 1)
        for m in 0..<2 {
            for i in 0..<t {
                let row = Tensor(float32: (0...i).map { Float(xs[m * t * t + i * t + $0]) }, shape: [1, i + 1])
                let expected = Tensor.softmaxForward(row, axis: 1, log: false).floatArray
                let got = (0..<t).map { Float(y[m, i, $0]) }
                #expect(Array(got[0...i]).map(\.bitPattern) == expected.map(\.bitPattern), "row \(i) of \(t)")
                #expect(got[(i + 1)...].allSatisfy { $0 == 0 && $0.sign == .plus })
            }
        }
    }

    @Test(arguments: [8, 64])
    func gradientAgreesWithFloat64(t: Int) {
        let xs = Self.values(3 * t * t, 2), gs = Self.values(3 * t * t, 3)
        let scale = 0.25
        let y32 = Tensor.causalSoftmaxForward(Tensor(float32: xs.map(Float.init), shape: [3, t, t]), scale: scale)
        let y64 = Tensor.causalSoftmaxForward(Tensor(float64: xs, shape: [3, t, t]), scale: scale)
        let g32 = Tensor(float32: gs.map(Float.init), shape: [3, t, t]), g64 = Tensor(float64: gs, shape: [3, t, t])
        let d32 = Tensor.causalSoftmaxBackward(g32, output: y32, scale: scale).scalars
        let d64 = Tensor.causalSoftmaxBackward(g64, output: y64, scale: scale).scalars
        let largest = d64.map(Swift.abs).max() ?? 1
        #expect(zip(d32, d64).allSatisfy { Swift.abs($0 - $1) <= 1e-6 * largest })
        for m in 0..<3 { for i in 0..<t { for j in (i + 1)..<t { #expect(d32[m * t * t + i * t + j] == 0) } } }
    }
}

/// The float32 layer norm over rows of a multiple of 8 columns (eight-lane row sums) against the
/// float64 kernel, affine or not; dγ and dβ are column sums in Double either way.
struct LayerNormKernelTests {
    @Test(arguments: [8, 64, 256])
    func float32RowsAgreeWithFloat64(c: Int) {
        let rows = 37
        let xs = CausalSoftmaxKernelTests.values(rows * c, 4).enumerated().map { $1 + Double($0 % c) / Double(c) + 3 }
        let gs = CausalSoftmaxKernelTests.values(rows * c, 5), ws = CausalSoftmaxKernelTests.values(c, 6), bs = CausalSoftmaxKernelTests.values(c, 7)
        for affine in [true, false] {
            func run(_ dtype: DType) -> [[Double]] {
                func t(_ v: [Double], _ shape: [Int]) -> Tensor { Tensor(float64: v, shape: shape).converted(to: dtype) }
                let w = affine ? t(ws, [c]) : nil, b = affine ? t(bs, [c]) : nil
                let f = Tensor.layerNormForward(t(xs, [rows, c]), weight: w, bias: b, epsilon: 1e-5)
                let d = Tensor.layerNormBackward(t(gs, [rows, c]), normalized: f.normalized, inverseStd: f.inverseStd, weight: w)
                return [f.output.scalars, d.dx.scalars, d.dWeight.scalars, d.dBias.scalars]
            }
            for (a, e) in zip(run(.float32), run(.float64)) {
                let largest = e.map(Swift.abs).max() ?? 1
                #expect(zip(a, e).allSatisfy { Swift.abs($0 - $1) <= 2e-6 * largest }, "c \(c) affine \(affine)")
            }
        }
    }
}
