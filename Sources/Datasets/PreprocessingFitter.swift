/// Fits `Preprocessing` from the training rows visited in passes, in ascending row order, with memory
/// bounded by the number of columns and never by the number of rows — so that a table held in memory
/// (`RawTable`) and a file packed on disk (`lockstep data pack`) are fitted by the same arithmetic and
/// give the same bits.
///
/// Per column, in this order of passes over the rows:
/// 1. categorical presence; for a numeric column the count of non-empty cells, their Double sum in row
///    order (the mean policy) and, under the median policy, a histogram of the high 16 bits of each
///    value's order-preserving key;
/// 2. under the median policy, a histogram of the low 16 bits within the one or two high buckets that
///    hold the middle ranks — an exact median in two passes of O(2¹⁷) counters per column (−0 counts
///    as +0, so the result never depends on which zero came first);
/// 3. and 4. when standardising, the Double sum of the imputed values, then of their squared
///    deviations (`Standardizer`'s arithmetic: a plain numeric file keeps its bits).
///
/// No statistic depends on how the rows are chunked: every sum runs in row order.
public struct PreprocessingFitter {
    public let layout: TableLayout
    public let vocabularies: [[String]]
    public let options: DataOptions
    public let standardize: Bool
    /// Where the first training row is, for errors about a whole column.
    public let path: String, firstLine: Int

    public init(layout: TableLayout, vocabularies: [[String]], options: DataOptions, standardize: Bool, path: String, firstLine: Int) {
        (self.layout, self.vocabularies, self.options, self.standardize) = (layout, vocabularies, options, standardize)
        (self.path, self.firstLine) = (path, firstLine)
    }

    /// Calls its argument once per training row, in ascending row order, with that row's raw values
    /// (`RawTable.values` conventions: NaN for an empty numeric cell, a vocabulary code or -1).
    public typealias Rows = ((UnsafeBufferPointer<Float>) -> Void) -> Void

    public func fit(task: TabularDataset.Task, rows: Rows) throws(DatasetError) -> Preprocessing {
        let width = layout.featureNames.count
        let numeric = (0..<width).filter { !layout.isCategorical[$0] }
        var present = (0..<width).map { layout.isCategorical[$0] ? [Bool](repeating: false, count: vocabularies[$0].count) : [] }
        var observed = [Int](repeating: 0, count: width), sums = [Double](repeating: 0, count: width)
        let median = options.missing == .median
        var high = median ? numeric.map { _ in [UInt32](repeating: 0, count: 1 << 16) } : []   // counts < 2³², checked below
        var total = 0
        rows { row in
            total += 1
            for slot in 0..<width where layout.isCategorical[slot] && row[slot] >= 0 { present[slot][Int(row[slot])] = true }
            for (j, slot) in numeric.enumerated() where !row[slot].isNaN {
                observed[slot] += 1
                sums[slot] += Double(row[slot])
                if median { high[j][Int(Self.key(row[slot]) >> 16)] += 1 }
            }
        }
        precondition(total > 0, "cannot fit preprocessing on no rows")
        precondition(total < Int(UInt32.max), "\(total) rows overflow the median's 32-bit counters")

        var columns: [Preprocessing.Column] = []
        var fills = [Float](repeating: 0, count: width)
        for slot in 0..<width {
            let name = layout.featureNames[slot]
            if layout.isCategorical[slot] {
                let categories = present[slot].indices.filter { present[slot][$0] }.map { vocabularies[slot][$0] }.sorted()
                guard !categories.isEmpty else { throw refusal(slot, "the categorical column has no values in the training split") }
                columns.append(.init(name: name, kind: .categorical, impute: nil, missingIndicator: false, mean: 0, scale: 1, categories: categories))
                continue
            }
            var fill: Float?
            switch options.missing {
            case .error: fill = nil
            case .constant(let value): fill = value
            case .mean, .median:
                guard observed[slot] > 0 else { throw refusal(slot, "every cell of the column is empty in the training split: nothing to impute from") }
                fill = options.missing == .mean ? Float(sums[slot] / Double(observed[slot])) : nil   // the median comes next
            }
            fills[slot] = fill ?? 0
            columns.append(.init(name: name, kind: .numeric, impute: fill, missingIndicator: options.missingIndicators && observed[slot] < total,
                                 mean: 0, scale: 1, categories: nil))
        }
        if median {
            let medians = self.medians(numeric: numeric, observed: observed, high: high, rows: rows)
            for (j, slot) in numeric.enumerated() {
                columns[slot].impute = medians[j]
                fills[slot] = medians[j]
            }
        }
        if standardize, !numeric.isEmpty {
            var means = [Double](repeating: 0, count: width), squares = [Double](repeating: 0, count: width)
            rows { row in for slot in numeric { means[slot] += Double(row[slot].isNaN ? fills[slot] : row[slot]) } }
            for slot in numeric { means[slot] /= Double(total) }
            rows { row in
                for slot in numeric {
                    let d = Double(row[slot].isNaN ? fills[slot] : row[slot]) - means[slot]
                    squares[slot] += d * d
                }
            }
            for slot in numeric {
                let std = (squares[slot] / Double(total)).squareRoot()
                columns[slot].mean = Float(means[slot])
                columns[slot].scale = std > 0 ? Float(std) : 1
            }
        }
        return Preprocessing(task: task, labelColumn: layout.labelColumn.map { layout.header[$0] }, columns: columns,
                             unknownCategory: options.unknownCategory, missing: options.missing)
    }

    /// The exact median of each numeric column's non-empty cells: the middle value, or the Double mean
    /// of the two middle values for an even count.
    private func medians(numeric: [Int], observed: [Int], high: [[UInt32]], rows: Rows) -> [Float] {
        // Per column, the ranks wanted and the high bucket that holds each.
        let ranks: [[Int]] = numeric.map { slot in
            let n = observed[slot]
            return n % 2 == 1 ? [n / 2] : [n / 2 - 1, n / 2]
        }
        var buckets: [[(bucket: Int, before: Int)]] = []
        for (j, wanted) in ranks.enumerated() {
            buckets.append(wanted.map { rank in
                var before = 0, bucket = 0
                while before + Int(high[j][bucket]) <= rank { before += Int(high[j][bucket]); bucket += 1 }
                return (bucket, before)
            })
        }
        var low = buckets.map { $0.map { _ in [UInt32](repeating: 0, count: 1 << 16) } }
        rows { row in
            for (j, slot) in numeric.enumerated() where !row[slot].isNaN {
                let key = Self.key(row[slot])
                for (k, target) in buckets[j].enumerated() where Int(key >> 16) == target.bucket { low[j][k][Int(key & 0xFFFF)] += 1 }
            }
        }
        return numeric.indices.map { j in
            let values = zip(ranks[j], buckets[j]).enumerated().map { k, pair in
                var before = pair.1.before, lowBits = 0
                while before + Int(low[j][k][lowBits]) <= pair.0 { before += Int(low[j][k][lowBits]); lowBits += 1 }
                return Self.value(UInt32(pair.1.bucket) << 16 | UInt32(lowBits))
            }
            return values.count == 1 ? values[0] : Float((Double(values[0]) + Double(values[1])) / 2)
        }
    }

    /// A key whose unsigned order is the float order (−0 taken as +0; NaN never reaches here).
    static func key(_ x: Float) -> UInt32 {
        let bits = x == 0 ? 0 : x.bitPattern
        return bits & 0x8000_0000 != 0 ? ~bits : bits | 0x8000_0000
    }

    static func value(_ key: UInt32) -> Float {
        Float(bitPattern: key & 0x8000_0000 != 0 ? key & 0x7FFF_FFFF : ~key)
    }

    private func refusal(_ slot: Int, _ reason: String) -> DatasetError {
        .unusableCell(path: path, line: firstLine, column: layout.featureNames[slot], columnNumber: layout.featureColumns[slot] + 1, reason: reason)
    }
}
