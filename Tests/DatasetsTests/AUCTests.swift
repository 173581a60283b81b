import Datasets
import Testing

@Suite struct AUCTests {
    @Test func handComputedCases() {
        #expect(auc(scores: [0.1, 0.4, 0.35, 0.8] as [Float], labels: [0, 0, 1, 1]) == 0.75)
        #expect(auc(scores: [1, 2, 3, 4] as [Float], labels: [0, 0, 1, 1]) == 1)
        #expect(auc(scores: [4, 3, 2, 1] as [Float], labels: [0, 0, 1, 1]) == 0)
    }

    @Test func tiesCountOneHalf() {
        // Positives {2, 3}, negatives {1, 2}: 2>1, 2=2 (½), 3>1, 3>2 → 3.5 / 4.
        #expect(auc(scores: [1, 2, 2, 3] as [Float], labels: [0, 1, 0, 1]) == 0.875)
        // Positives {0.5, 0.9}, negatives {0.5, 0.5, 0.2}: 0.5 → ½ + ½ + 1, 0.9 → 3 → 5 / 6.
        let a = auc(scores: [0.5, 0.5, 0.5, 0.2, 0.9] as [Double], labels: [1, 0, 0, 0, 1])
        #expect(abs(a - 5.0 / 6.0) < 1e-12)
        #expect(auc(scores: [7, 7, 7, 7] as [Float], labels: [0, 1, 1, 0]) == 0.5)
    }

    @Test func undefinedForOneClass() {
        #expect(auc(scores: [0.1, 0.2] as [Float], labels: [1, 1]).isNaN)
        #expect(auc(scores: [0.1, 0.2] as [Float], labels: [0, 0]).isNaN)
    }

    /// A diverged model's NaN logits once trapped here (issue 11, defect 4): the AUC is undefined, not a crash.
    @Test func undefinedForNaNScores() {
        #expect(auc(scores: [0.1, .nan, 0.3] as [Float], labels: [0, 1, 1]).isNaN)
        #expect(auc(scores: [Double.nan, .nan] , labels: [0, 1]).isNaN)
    }

    @Test func matchesPairCountingOnTiedData() {
        // Coarse scores (ten levels) make many ties; compare with the O(n²) definition.
        var state: UInt64 = 12345
        func next() -> UInt64 { state = state &* 6364136223846793005 &+ 1442695040888963407; return state >> 33 }
        let n = 400
        let scores = (0..<n).map { _ in Float(next() % 10) / 10 }
        let labels = scores.map { s in Float(next() % 100) < 30 + 40 * s ? Float(1) : 0 }
        var wins = 0.0, pairs = 0.0
        for i in 0..<n where labels[i] == 1 {
            for j in 0..<n where labels[j] == 0 {
                pairs += 1
                wins += scores[i] > scores[j] ? 1 : scores[i] == scores[j] ? 0.5 : 0
            }
        }
        #expect(abs(auc(scores: scores, labels: labels) - wins / pairs) < 1e-12)
        #expect(abs(auc(scores: scores.map(Double.init), labels: labels) - wins / pairs) < 1e-12)
    }
}

@Suite struct AUCAccumulatorTests {
    /// The streaming AUC (8 bytes a score) against the definition: every positive–negative pair,
    /// a tie a half — with ties, both zeros and wide magnitudes.
    @Test func matchesThePairCount() {
        var state: UInt64 = 5
        func next() -> UInt64 { state = state &* 6364136223846793005 &+ 1442695040888963407; return state >> 33 }
        let pool: [Float] = [-0.0, 0.0, 1, 1, 2.5, -3, 1e30, -1e-30, 7]
        for _ in 0..<20 {
            let n = Int(next() % 60) + 2
            let scores = (0..<n).map { _ in pool[Int(next() % UInt64(pool.count))] }
            let labels = (0..<n).map { _ in Float(next() % 2) }
            var wins = 0.0, pairs = 0.0
            for i in 0..<n where labels[i] == 1 {
                for j in 0..<n where labels[j] == 0 {
                    pairs += 1
                    wins += scores[i] > scores[j] ? 1 : scores[i] == scores[j] ? 0.5 : 0
                }
            }
            let expected = pairs > 0 ? wins / pairs : .nan
            let got = auc(scores: scores, labels: labels)
            #expect(got == expected || (got.isNaN && expected.isNaN), "\(scores) \(labels)")
            #expect(auc(scores: scores.map(Double.init), labels: labels).isNaN == got.isNaN)
        }
        #expect(auc(scores: [1, Float.nan], labels: [0, 1]).isNaN)
    }

    /// Spilled sorted runs merge to the same sequence: the same AUC bit for bit as holding every key,
    /// with ties across runs, one run, runs of one key, and a class that appears in one run only.
    @Test func spilledRunsGiveTheSameBits() {
        var state: UInt64 = 12345
        func next() -> UInt64 { state = state &* 6364136223846793005 &+ 1442695040888963407; return state >> 33 }
        for (n, limit) in [(10_000, 333), (5_000, 1), (4_096, 4_096), (2_000, 5_000), (9_999, 1_024)] {
            let scores = (0..<n).map { _ in Float(Int(next() % 500)) / 37 - 6 }   // many ties
            let labels = (0..<n).map { i in Float(i < n / 2 ? next() % 2 : (next() % 5 == 0 ? 1 : 0)) }
            var whole = AUCAccumulator(), spilled = AUCAccumulator(runLimit: limit)
            for (s, y) in zip(scores, labels) { whole.add(score: s, label: y); spilled.add(score: s, label: y) }
            let expected = whole.value(), got = spilled.value()
            #expect(got.bitPattern == expected.bitPattern, "n = \(n), runs of \(limit): \(got) vs \(expected)")
            #expect(expected == auc(scores: scores, labels: labels))
        }
    }
}
