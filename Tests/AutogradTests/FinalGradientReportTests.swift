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
        try loss.backward(onLeafGradientFinal: { leaf, elements in
            #expect(elements == 0..<leaf.count)            // returned whole by their rules: one report
            reports.append((ObjectIdentifier(leaf), leaf.grad!.scalars))
        })
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
        try loss.backward(onLeafGradientFinal: { leaf, _ in order.append(leaf.grad!.scalars) })
        #expect(order.count == 1)
        #expect(order[0] == w.grad!.scalars)
    }

    @Test func aLeafLossReportsItself() throws {
        let w = leaf([3])
        var reported = 0
        try w.sum().backward(onLeafGradientFinal: { _, _ in reported += 1 })
        #expect(reported == 1)
        // Backward from a leaf itself: its gradient is the seed, final at once.
        let direct = leaf([2])
        try direct.backward(onLeafGradientFinal: { _, _ in reported += 1 })
        #expect(reported == 2 && direct.grad!.scalars == [1])
    }

    /// A Linear weight of more than 256 rows is written in row panels, last first, each reported as
    /// soon as it is written: before the rest of the weight, before the input's gradient, and with the
    /// values backward leaves. The bias comes first, whole.
    @Test func aLinearWeightIsReportedPanelByPanelAsItIsWritten() throws {
        let (n, inFeatures, outFeatures) = (5, 1024, 600)
        let x = Tensor.uniform([n, inFeatures], low: -1, high: 1, key: RandomKey(seed: 1, stream: .initialization)).requiringGrad()
        let w = Tensor.uniform([outFeatures, inFeatures], low: -1, high: 1, key: RandomKey(seed: 2, stream: .initialization)).requiringGrad()
        let b = Tensor.uniform([outFeatures], low: -1, high: 1, key: RandomKey(seed: 3, stream: .initialization)).requiringGrad()
        let panels = Tensor.linearWeightGradientPanels(outFeatures: outFeatures, inFeatures: inFeatures)
        #expect(panels == [512 * inFeatures ..< 600 * inFeatures, 256 * inFeatures ..< 512 * inFeatures, 0 ..< 256 * inFeatures])
        let loss = try Tensor.linear(x, weight: w, bias: b).tanh().sum()
        var reports: [(leaf: ObjectIdentifier, elements: Range<Int>, values: [Float])] = []
        try loss.backward(onLeafGradientFinal: { leaf, elements in
            let g = leaf.grad!.floats
            reports.append((ObjectIdentifier(leaf), elements, elements.map { g[$0] }))
        })
        #expect(reports.map(\.leaf) == [ObjectIdentifier(b), ObjectIdentifier(w), ObjectIdentifier(w), ObjectIdentifier(w),
                                       ObjectIdentifier(x)])
        #expect(reports.map(\.elements) == [0..<outFeatures] + panels + [0..<n * inFeatures])
        // Every value reported is final.
        for r in reports {
            let t = r.leaf == ObjectIdentifier(w) ? w : r.leaf == ObjectIdentifier(b) ? b : x
            let isFinal = r.values == r.elements.map { t.grad!.floats[$0] }    // (a Bool: no diff of 262,144 floats)
            #expect(isFinal, "\(r.elements)")
        }
        // And the panels' GEMMs give the gradient: gᵀ·x in double precision, to float rounding.
        let g = try Tensor.linear(x.detached(), weight: w.detached(), bias: b.detached()).tanh()
        let dy = g.scalars.map { 1 - $0 * $0 }                       // (n, out)
        for (o, i) in [(0, 0), (255, 17), (256, 1023), (511, 3), (599, 150)] {
            let expected = (0..<n).reduce(0.0) { $0 + dy[$1 * outFeatures + o] * x.scalars[$1 * inFeatures + i] }
            #expect(abs(Double(w.grad!.floats[o * inFeatures + i]) - expected) < 1e-4)
        }
    }

    /// A weight that two Linears share is not final after the first: reported once, whole, after both.
    @Test func aSharedLinearWeightIsReportedWholeAfterItsLastUse() throws {
        let x = Tensor.uniform([3, 300], low: -1, high: 1, key: RandomKey(seed: 4, stream: .initialization))
        let w = Tensor.uniform([300, 300], low: -0.1, high: 0.1, key: RandomKey(seed: 5, stream: .initialization)).requiringGrad()
        let h = try Tensor.linear(x, weight: w, bias: nil).tanh()
        let loss = try Tensor.linear(h, weight: w, bias: nil).sum()
        var reports: [Range<Int>] = []
        try loss.backward(onLeafGradientFinal: { _, elements in reports.append(elements) })
        #expect(reports == [0..<90_000])
    }

    /// On a (B, T, in) input the weight is written and reported in the same panels, and the input's
    /// gradient comes last, whole, in the input's shape.
    @Test func aLinearOnA3DInputReportsItsWeightPanelByPanel() throws {
        let (inFeatures, outFeatures) = (1024, 600)
        let x = Tensor.uniform([2, 3, inFeatures], low: -1, high: 1, key: RandomKey(seed: 6, stream: .initialization)).requiringGrad()
        let w = Tensor.uniform([outFeatures, inFeatures], low: -1, high: 1, key: RandomKey(seed: 7, stream: .initialization)).requiringGrad()
        let b = Tensor.uniform([outFeatures], low: -1, high: 1, key: RandomKey(seed: 8, stream: .initialization)).requiringGrad()
        let panels = Tensor.linearWeightGradientPanels(outFeatures: outFeatures, inFeatures: inFeatures)
        var reports: [(leaf: ObjectIdentifier, elements: Range<Int>)] = []
        try Tensor.linear(x, weight: w, bias: b).tanh().sum().backward(onLeafGradientFinal: { leaf, elements in
            reports.append((ObjectIdentifier(leaf), elements))
        })
        #expect(reports.map(\.leaf) == [ObjectIdentifier(b)] + panels.map { _ in ObjectIdentifier(w) } + [ObjectIdentifier(x)])
        #expect(reports.map(\.elements) == [0..<outFeatures] + panels + [0..<6 * inFeatures])
        #expect(x.grad?.shape == [2, 3, inFeatures])
    }
}
