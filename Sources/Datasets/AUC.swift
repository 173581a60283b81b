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
    var sum = RankSum()
    for (i, (score, label)) in sorted.enumerated() { sum.add(positive: label == 1, tied: i > 0 && sorted[i - 1].0 == score) }
    return sum.value()
}

/// The AUC of float32 scores given one at a time, in 8 bytes a score: each (score, label) is one
/// 64-bit key whose order is the score's (−0 as +0, so that zeros tie), sorted at the end. What an
/// evaluator keeps for a validation set too large to hold twice.
///
/// With a `runLimit`, memory stays bounded whatever the number of scores: every `runLimit` keys are
/// sorted and written to an unlinked scratch file (`SpillFile`) as one run, and `value()` merges the
/// runs — the same sorted sequence, so the same AUC bit for bit. (If the scratch file cannot be made
/// or written, the keys stay in memory: only the bound is lost.)
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
    /// Keys held in memory before a sorted run is spilled (nil: never).
    public let runLimit: Int?
    private var spill: Spill?

    /// Sorted runs in a scratch file: each run's first key index and length, in keys.
    private final class Spill: @unchecked Sendable {
        let file: SpillFile
        var runs: [(start: Int, count: Int)] = []
        var keysWritten = 0
        init(file: SpillFile) { self.file = file }
    }

    public init(capacity: Int = 0, runLimit: Int? = nil) {
        precondition(runLimit.map { $0 > 0 } ?? true, "AUCAccumulator: runLimit must be positive")
        self.runLimit = runLimit
        keys.reserveCapacity(min(capacity, runLimit ?? capacity))
    }

    public mutating func add(score: Float, label: Float) {
        precondition(label == 0 || label == 1, "AUC labels must be 0 or 1")
        if score.isNaN { sawNaN = true; return }
        let bits = score == 0 ? 0 : score.bitPattern
        let order = bits & 0x8000_0000 != 0 ? ~bits : bits | 0x8000_0000
        keys.append(UInt64(order) << 1 | (label == 1 ? 1 : 0))
        if let runLimit, keys.count >= runLimit { spillRun() }
    }

    /// Sorts the keys held and writes them as one run; keeps them on any failure of the scratch file.
    private mutating func spillRun() {
        keys.sort()
        do {
            if spill == nil { spill = Spill(file: try SpillFile()) }
            let s = spill!
            try keys.withUnsafeBytes { try s.file.write($0, at: s.keysWritten * 8) }
            s.runs.append((s.keysWritten, keys.count))
            s.keysWritten += keys.count
            keys.removeAll(keepingCapacity: true)
        } catch {
            spill = spill.flatMap { $0.runs.isEmpty ? nil : $0 }   // runs already written still count
        }
    }

    /// The AUC of everything added (NaN if a score was NaN or a class is missing); sorts the keys.
    public mutating func value() -> Double {
        if sawNaN { return .nan }
        keys.sort()
        var sum = RankSum()
        guard let spill, !spill.runs.isEmpty else {
            for (i, key) in keys.enumerated() { sum.add(positive: key & 1 == 1, tied: i > 0 && keys[i - 1] >> 1 == key >> 1) }
            return sum.value()
        }
        do {
            var previous: UInt64?
            try Self.merge(spill, memory: keys) { key in
                sum.add(positive: key & 1 == 1, tied: previous.map { $0 >> 1 == key >> 1 } ?? false)
                previous = key
            }
            return sum.value()
        } catch {
            return .nan   // the scratch file could not be read back: no AUC rather than a wrong one
        }
    }

    /// Calls `visit` with every key of the spilled runs and of `memory` (sorted), in ascending order:
    /// a k-way merge reading each run through a buffer of 8,192 keys.
    private static func merge(_ spill: Spill, memory: [UInt64], visit: (UInt64) -> Void) throws {
        let chunk = 8_192
        var runs = spill.runs.map { (next: $0.start, end: $0.start + $0.count, buffer: [UInt64](), at: 0) }
        func refill(_ r: Int) throws {
            let n = min(chunk, runs[r].end - runs[r].next)
            var buffer = [UInt64](repeating: 0, count: n)
            try buffer.withUnsafeMutableBytes { b in
                try spill.file.read(into: b, at: runs[r].next * 8)
            }
            runs[r].next += n
            (runs[r].buffer, runs[r].at) = (buffer, 0)
        }
        for r in runs.indices { try refill(r) }
        var m = 0
        while true {
            var best: UInt64?, from = -1
            for r in runs.indices where runs[r].at < runs[r].buffer.count {
                let key = runs[r].buffer[runs[r].at]
                if best.map({ key < $0 }) ?? true { (best, from) = (key, r) }
            }
            if m < memory.count, best.map({ memory[m] < $0 }) ?? true { (best, from) = (memory[m], -1) }
            guard let key = best else { return }
            visit(key)
            if from < 0 {
                m += 1
            } else {
                runs[from].at += 1
                if runs[from].at == runs[from].buffer.count, runs[from].next < runs[from].end { try refill(from) }
            }
        }
    }
}

/// Mann–Whitney's U over entries given in ascending score order: a run of tied entries shares its
/// average rank. The one implementation behind every AUC here.
struct RankSum {
    private var positives = 0.0, negatives = 0.0, positiveRankSum = 0.0
    private var seen = 0, groupSize = 0, groupPositives = 0.0

    /// The next entry; `tied`: its score equals the previous entry's.
    mutating func add(positive: Bool, tied: Bool) {
        if !tied { closeGroup() }
        groupSize += 1
        if positive { groupPositives += 1 }
    }

    private mutating func closeGroup() {
        guard groupSize > 0 else { return }
        // Ranks seen+1 … seen+groupSize share their average.
        let averageRank = Double(seen + 1 + seen + groupSize) / 2
        positiveRankSum += groupPositives * averageRank
        positives += groupPositives
        negatives += Double(groupSize) - groupPositives
        (seen, groupSize, groupPositives) = (seen + groupSize, 0, 0)
    }

    mutating func value() -> Double {
        closeGroup()
        guard positives > 0, negatives > 0 else { return .nan }
        return (positiveRankSum - positives * (positives + 1) / 2) / (positives * negatives)
    }
}
