import Testing
import TensorCore
import Optim

/// LARS and LAMB against the update written out in PyTorch (LayerwiseFixtures.swift), and the
/// properties the trainer relies on: one step over the whole shard, norms that do not depend on how
/// the buffer is sharded, state that round-trips through a checkpoint.
@Suite("LARS and LAMB")
struct LayerwiseOptimizerTests {
    /// Mirrors CASES in LayerwiseFixtures.swift, hyperparameter for hyperparameter.
    static let cases: [OptimizerCase] = [
        OptimizerCase(name: "lars", lrs: nil) { try LARS(parameters: $0, lr: 1.0, weightDecay: 0.01, trustCoefficient: 0.02) },
        OptimizerCase(name: "lars_plain_none", lrs: nil) {
            try LARS(parameters: $0, lr: 0.5, momentum: 0, trustCoefficient: 0.05, exclude: .none)
        },
        OptimizerCase(name: "lars_nesterov", lrs: nil) {
            try LARS(parameters: $0, lr: 2.0, momentum: 0.8, weightDecay: 0.001, trustCoefficient: 0.01, nesterov: true)
        },
        OptimizerCase(name: "lamb", lrs: nil) { try LAMB(parameters: $0, lr: 0.01) },
        OptimizerCase(name: "lamb_none", lrs: nil) {
            try LAMB(parameters: $0, lr: 0.05, betas: (0.3, 0.6), eps: 1e-4, weightDecay: 0.1, exclude: .none)
        },
    ]

    /// Float64 to 1e-12 (the norms are summed in another order than torch's); float32 to 1e-6.
    @Test("three steps match the update written in PyTorch", arguments: cases, [DType.float64, .float32])
    func matchesPyTorch(_ c: OptimizerCase, dtype: DType) throws {
        let params = Inputs.parameters(dtype)
        try c.run(c.make(params), params, steps: 0..<3)
        let expected = try #require((dtype == .float64 ? LayerwiseFixtures.float64 : LayerwiseFixtures.float32)[c.name])
        for (i, (name, p)) in params.enumerated() {
            expectClose(p.scalars, expected[i], relative: tolerance(dtype), "\(c.name) \(dtype) \(name)")
        }
    }

    /// The exclusion is real: adapting the bias too changes it (and only the adapted tensors' steps).
    @Test func excludingOneDimensionalParametersChangesOnlyThem() throws {
        let a = Inputs.parameters(.float64), b = Inputs.parameters(.float64)
        let one = try LAMB(parameters: a, lr: 0.01, weightDecay: 0), all = try LAMB(parameters: b, lr: 0.01, weightDecay: 0, exclude: .none)
        #expect(one.adapted == [true, false, true] && all.adapted == [true, true, true])
        for step in 0..<3 {
            Inputs.setGrads(a, step: step); Inputs.setGrads(b, step: step)
            try one.step(); try all.step()
        }
        #expect(a[0].tensor.scalars == b[0].tensor.scalars && a[2].tensor.scalars == b[2].tensor.scalars)
        #expect(a[1].tensor.scalars != b[1].tensor.scalars)
    }

    /// A step cut into buckets is refused, not silently taken with partial norms.
    @Test func aPartialStepIsRefused() throws {
        let params = Inputs.parameters(.float32)
        let lars = try LARS(parameters: params, lr: 0.1)
        #expect(!lars.updatesElementwise)
        Inputs.setGrads(params, step: 0)
        #expect(throws: OptimizerError.self) { try lars.step(elements: 0..<4, gradientScale: 1) }
    }

    /// A shard must lie on the norm's blocks, so that every piece of a tensor is summed by one rank.
    @Test func anUnalignedShardIsRefused() throws {
        let w = Tensor.zeros([3000], dtype: .float32)
        #expect(throws: OptimizerError.self) { try LAMB(parameters: [("w", w)], shard: 0..<1500) }
        _ = try LAMB(parameters: [("w", w)], shard: 1024..<3000)
    }

    /// Per-tensor norms summed per shard and exchanged equal the unsharded sums bit for bit, for
    /// tensors that straddle blocks and shards.
    @Test func shardedNormPiecesAddUpToTheWholeBits() {
        let segments = [0..<1500, 1500..<1510, 1510..<5000, 5000..<5001]
        var values = [Float](repeating: 0, count: 5001)
        var state: UInt64 = 0x9E3779B97F4A7C15
        for i in values.indices {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            values[i] = Float(Int64(bitPattern: state >> 11) % 2001 - 1000) / 997
        }
        func fill(_ norms: inout TensorNorms, _ pieces: Range<Int>) {
            for k in pieces {
                let r = norms.pieces[k].range
                norms.sums[2 * k] = TensorNorms.squaredSum(count: r.count) { values[r.lowerBound + $0] }
                norms.sums[2 * k + 1] = TensorNorms.squaredSum(count: r.count) { 2 * values[r.lowerBound + $0] }
            }
        }
        var whole = TensorNorms(segments: segments, quantities: 2)
        fill(&whole, 0..<whole.pieces.count)
        let shards = [0..<2048, 2048..<2048, 2048..<5001]
        #expect(whole.isAligned(shards) && !whole.isAligned([0..<1000]))
        // Each "rank" fills its pieces; the exchange copies every rank's range into every buffer.
        var ranks = shards.map { _ in TensorNorms(segments: segments, quantities: 2) }
        for r in ranks.indices { fill(&ranks[r], ranks[r].pieces(in: shards[r])) }
        let snapshot = ranks.map(\.sums)
        for r in ranks.indices {
            try? ranks[r].exchange(shards: shards) { bytes, part in
                for c in shards.indices where c != r {
                    snapshot[c].withUnsafeBytes { source in
                        let range = part(c)
                        bytes[range].copyBytes(from: source[range])
                    }
                }
            }
            #expect(ranks[r].totals(0) == whole.totals(0) && ranks[r].totals(1) == whole.totals(1))
        }
        // The sums are the norms: ‖x‖² of each tensor, to rounding.
        for (p, segment) in segments.enumerated() {
            let direct = segment.reduce(0.0) { $0 + Double(values[$1]) * Double(values[$1]) }
            #expect(abs(whole.totals(0)[p] - direct) <= 1e-12 * direct)
        }
    }

    /// State written after two steps and loaded into a new optimizer continues with the same bits.
    @Test(arguments: [0, 3])
    func stateRoundTripsThroughACheckpoint(_ which: Int) throws {
        let c = Self.cases[which]
        let straight = Inputs.parameters(.float32)
        try c.run(c.make(straight), straight, steps: 0..<3)
        let first = Inputs.parameters(.float32)
        let before = try c.make(first)
        try c.run(before, first, steps: 0..<2)
        let saved = Dictionary(uniqueKeysWithValues: before.stateTensors().map { ($0.name, $0.tensor.copy()) })
        let second = Inputs.parameters(.float32)
        for (p, q) in zip(second, first) { p.tensor.copyElements(from: q.tensor) }
        let after = try c.make(second)
        try after.loadState(saved)
        try c.run(after, second, steps: 2..<3)
        for (a, b) in zip(straight, second) { #expect(a.tensor.bitwiseEqual(b.tensor), "\(c.name) \(a.name)") }
    }
}
