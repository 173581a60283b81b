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
    return rankAUC(scores.indices.map { (Double(scores[$0]), labels[$0]) })
}

/// The same for Double scores (e.g. the true probabilities of `SyntheticClinical`).
public func auc(scores: [Double], labels: [Float]) -> Double {
    precondition(scores.count == labels.count, "\(scores.count) scores but \(labels.count) labels")
    return rankAUC(scores.indices.map { (scores[$0], labels[$0]) })
}

private func rankAUC(_ pairs: [(score: Double, label: Float)]) -> Double {
    if pairs.contains(where: { $0.score.isNaN }) { return .nan }
    precondition(pairs.allSatisfy { $0.label == 0 || $0.label == 1 }, "AUC labels must be 0 or 1")
    // Sorting (score, label) pairs keeps the data contiguous; an unstable sort is fine because a run of
    // tied scores is handled as a whole below.
    let sorted = pairs.sorted { $0.score < $1.score }
    var positives = 0.0, negatives = 0.0, positiveRankSum = 0.0
    var start = 0
    while start < sorted.count {
        var end = start + 1
        while end < sorted.count && sorted[end].score == sorted[start].score { end += 1 }
        // Ranks start..<end (1-based: start+1 ... end) share their average.
        let averageRank = Double(start + 1 + end) / 2
        var groupPositives = 0.0
        for k in start..<end where sorted[k].label == 1 { groupPositives += 1 }
        positiveRankSum += groupPositives * averageRank
        positives += groupPositives
        negatives += Double(end - start) - groupPositives
        start = end
    }
    guard positives > 0, negatives > 0 else { return .nan }
    return (positiveRankSum - positives * (positives + 1) / 2) / (positives * negatives)
}
