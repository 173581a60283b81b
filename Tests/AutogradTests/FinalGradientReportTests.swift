import Testing
import TensorCore
import Autograd

/// `backward(onLeafGradientFinal:)`: what bucketed overlap relies on to start a reduction early.
struct FinalGradientReportTests {
    func leaf(_ values: [Double]) -> Tensor { Tensor(float64: values, shape: [values.count]).requiringGrad() }

    @Test func eachLeafIsReportedOnceWithItsFinalGradient() throws {
        // w feeds two ops far apart in the graph; b one; unused gets no gradient.
        let w = leaf([1, 2, 3]), b = leaf([0.5, -1, 2]), unused = leaf([9])
        let x = Tensor(float64: [4, 5, 6], shape: [3])
        let h = try (w * x + b).tanh()
        let loss = try (h * w).sum()
        var reports: [(ObjectIdentifier, [Double])] = []
        try loss.backward(onLeafGradientFinal: { reports.append((ObjectIdentifier($0), $0.grad!.scalars)) })
        #expect(reports.count == 2)
        #expect(Set(reports.map(\.0)) == [ObjectIdentifier(w), ObjectIdentifier(b)])
        // The gradient seen at report time is the one backward leaves.
        for (id, seen) in reports {
            let t = id == ObjectIdentifier(w) ? w : b
            #expect(seen == t.grad!.scalars)
        }
        #expect(unused.grad == nil)
    }

    @Test func aLeafUsedTwiceIsReportedAfterItsLastUse() throws {
        let w = leaf([1, 2])
        let a = try (w * w).sum()               // both operands are w: two edges into one leaf
        let loss = try (a * a.exp()).sum()
        var order: [[Double]] = []
        try loss.backward(onLeafGradientFinal: { order.append($0.grad!.scalars) })
        #expect(order.count == 1)
        #expect(order[0] == w.grad!.scalars)
    }

    @Test func aLeafLossReportsItself() throws {
        let w = leaf([3])
        var reported = 0
        try w.sum().backward(onLeafGradientFinal: { _ in reported += 1 })
        #expect(reported == 1)
        // Backward from a leaf itself: its gradient is the seed, final at once.
        let direct = leaf([2])
        try direct.backward(onLeafGradientFinal: { _ in reported += 1 })
        #expect(reported == 2 && direct.grad!.scalars == [1])
    }
}
