import Testing
@testable import TensorCore

/// The eight-lane eˣ behind softmax, log-softmax and cross-entropy: accuracy, edges, and that a
/// value's result does not depend on where it sits in the buffer.
struct VectorExpTests {
    /// Distance in units in the last place between two positive finite floats.
    static func ulps(_ a: Float, _ b: Float) -> Int { Swift.abs(Int(a.bitPattern) - Int(b.bitPattern)) }

    @Test func within2UlpOfCorrectlyRounded() {
        let n = 400_000
        var xs = (0..<n).map { -87.3 + (88.3 + 87.3) * Float($0) / Float(n - 1) }
        xs += (0..<20_000).map { Float($0 - 10_000) * 1e-4 }        // around 0, where r is the whole input
        var ys = xs
        ys.withUnsafeMutableBufferPointer { vectorExp($0.baseAddress!, $0.count) }
        var worst = 0
        for (x, y) in zip(xs, ys) { worst = max(worst, Self.ulps(y, Float(Double.exp(Double(x))))) }
        #expect(worst <= 2, "worst \(worst) ulp")
    }

    @Test func edges() {
        var xs: [Float] = [0, -.infinity, .infinity, .nan, -200, -87.4, 89, 200, 1, -1, 88.72]
        xs.withUnsafeMutableBufferPointer { vectorExp($0.baseAddress!, $0.count) }
        #expect(xs[0] == 1 && xs[1] == 0 && xs[2] == .infinity && xs[3].isNaN)
        #expect(xs[4] == 0 && xs[5] == 0 && xs[6] == .infinity && xs[7] == .infinity)
        #expect(Self.ulps(xs[8], Float(Double.exp(1))) <= 1 && Self.ulps(xs[9], Float(Double.exp(-1))) <= 1)
        #expect(xs[10].isFinite && xs[10] > 3e38)
    }

    @Test func resultsDoNotDependOnPosition() {
        let values: [Float] = [-3.25, 0.125, 2.5, -40, 7]
        var alone = values
        alone.withUnsafeMutableBufferPointer { vectorExp($0.baseAddress!, $0.count) }
        for shift in 0..<9 {
            var buffer = [Float](repeating: 0.5, count: shift) + values + [Float](repeating: 1.5, count: 13 - shift)
            buffer.withUnsafeMutableBufferPointer { vectorExp($0.baseAddress!, $0.count) }
            #expect(Array(buffer[shift..<shift + values.count]) == alone)
        }
    }

    @Test func doublesUseLibm() {
        var xs: [Double] = [0.5, -2, 30]
        xs.withUnsafeMutableBufferPointer { expInPlace($0.baseAddress!, $0.count) }
        #expect(xs == [Double.exp(0.5), Double.exp(-2), Double.exp(30)])
    }
}
