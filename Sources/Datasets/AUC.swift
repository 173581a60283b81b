/// The area under the ROC curve of `scores` against binary `labels` (0 or 1): the probability that a
/// random positive scores higher than a random negative, a tie counting one half (Mann–Whitney U).
///
/// O(n log n): one sort, then tied scores share their average rank. Returns NaN where the AUC is
/// undefined: when the labels are all of one class, or when a score is NaN (a diverged model), which
/// has no place in the order. Scores may be logits or probabilities: only their order
/// matters.
///
/// ```swift
/// auc(scores: [0.1, 0.4, 0.35, 0.8], labels: [0, 0, 1, 1])   // 0.75
/// auc(scores: [0.5, 0.5], labels: [0, 1])                     // 0.5 (a tie)
/// ```
public func auc(scores: [Float], labels: [Float]) -> Double {
    precondition(scores.count == labels.count, "\(scores.count) scores but \(labels.count) labels")
    var accumulator = AUCAccumulator(capacity: scores.count)
    for (s, y) in zip(scores, labels) { accumulator.add(score: s, label: y) }
    return accumulator.value()
}

/// The same for Double scores (e.g. the true probabilities of `SyntheticClinical`).
public func auc(scores: [Double], labels: [Float]) -> Double {
    precondition(scores.count == labels.count, "\(scores.count) scores but \(labels.count) labels")
    if scores.contains(where: \.isNaN) { return .nan }
    precondition(labels.allSatisfy { $0 == 0 || $0 == 1 }, "AUC labels must be 0 or 1")
    let sorted = zip(scores, labels).sorted { $0.0 < $1.0 }
    return sortedAUC(count: sorted.count, tied: { sorted[$0].0 == sorted[$1].0 }, positive: { sorted[$0].1 == 1 })
}

/// The AUC of float32 scores given one at a time, in 8 bytes a score: each (score, label) is one
/// 64-bit key whose order is the score's (−0 as +0, so that zeros tie), sorted in place at the end.
/// What an evaluator keeps for a validation set too large to hold twice.
///
/// ```swift
/// var accumulator = AUCAccumulator()
/// accumulator.add(score: 0.3, label: 1)
/// accumulator.add(score: -1.2, label: 0)
/// accumulator.value()   // 1.0
/// ```
public struct AUCAccumulator: Sendable {
    private var keys: [UInt64] = []
    /// Whether a NaN score was added (the AUC is then undefined).
    public private(set) var sawNaN = false

    public init(capacity: Int = 0) { keys.reserveCapacity(capacity) }

    public mutating func add(score: Float, label: Float) {
        precondition(label == 0 || label == 1, "AUC labels must be 0 or 1")
        if score.isNaN { sawNaN = true; return }
        let bits = score == 0 ? 0 : score.bitPattern
        let order = bits & 0x8000_0000 != 0 ? ~bits : bits | 0x8000_0000
        keys.append(UInt64(order) << 1 | (label == 1 ? 1 : 0))
    }

    /// The AUC of everything added (NaN if a score was NaN or a class is missing); sorts the keys.
    public mutating func value() -> Double {
        if sawNaN { return .nan }
        keys.sort()
        return keys.withUnsafeBufferPointer { k in
            sortedAUC(count: k.count, tied: { k[$0] >> 1 == k[$1] >> 1 }, positive: { k[$0] & 1 == 1 })
        }
    }
}

/// Mann–Whitney's U over entries sorted by score: a run of tied entries shares its average rank.
private func sortedAUC(count: Int, tied: (Int, Int) -> Bool, positive: (Int) -> Bool) -> Double {
    var positives = 0.0, negatives = 0.0, positiveRankSum = 0.0
    var start = 0
    while start < count {
        var end = start + 1
        while end < count && tied(start, end) { end += 1 }
        // Ranks start..<end (1-based: start+1 ... end) share their average.
        let averageRank = Double(start + 1 + end) / 2
        var groupPositives = 0.0
        for k in start..<end where positive(k) { groupPositives += 1 }
        positiveRankSum += groupPositives * averageRank
        positives += groupPositives
        negatives += Double(end - start) - groupPositives
        start = end
    }
    guard positives > 0, negatives > 0 else { return .nan }
    return (positiveRankSum - positives * (positives + 1) / 2) / (positives * negatives)
}
