extension Preprocessing {
    /// Fits on `rows` of `table` (the training split): imputation values (mean or median of the
    /// non-empty cells, or the constant), indicator flags (columns with an empty cell among `rows`),
    /// categories (sorted), then, if `standardize`, the mean and population std of each numeric column
    /// after imputation (`Standardizer`'s arithmetic, so a plain numeric file gives the same bits as
    /// before preprocessing existed).
    public init(fitting table: RawTable, rows: [Int], options: DataOptions, standardize: Bool) throws(DatasetError) {
        precondition(!rows.isEmpty, "cannot fit preprocessing on no rows")
        let width = table.featureCount
        var columns: [Column] = []
        var imputed = [Float](repeating: 0, count: rows.count * width)
        var numericSlots: [Int] = []
        for slot in 0..<width {
            let name = table.layout.featureNames[slot]
            let columnNumber = table.layout.featureColumns[slot] + 1
            if table.layout.isCategorical[slot] {
                var present = Set<Int>()
                for r in rows where table.values[r * width + slot] >= 0 { present.insert(Int(table.values[r * width + slot])) }
                let categories = present.map { table.vocabularies[slot][$0] }.sorted()
                guard !categories.isEmpty else {
                    throw .unusableCell(path: table.path, line: Int(table.lines[rows[0]]), column: name, columnNumber: columnNumber,
                                        reason: "the categorical column has no values in the training split")
                }
                columns.append(Column(name: name, kind: .categorical, impute: nil, missingIndicator: false,
                                      mean: 0, scale: 1, categories: categories))
                continue
            }
            var observed: [Float] = []
            observed.reserveCapacity(rows.count)
            for r in rows where !table.values[r * width + slot].isNaN { observed.append(table.values[r * width + slot]) }
            let anyMissing = observed.count < rows.count
            var fill: Float?
            switch options.missing {
            case .error: fill = nil
            case .constant(let value): fill = value
            case .mean, .median:
                guard !observed.isEmpty else {
                    throw .unusableCell(path: table.path, line: Int(table.lines[rows[0]]), column: name, columnNumber: columnNumber,
                                        reason: "every cell of the column is empty in the training split: nothing to impute from")
                }
                fill = options.missing == .mean ? Self.mean(observed) : Self.median(observed)
            }
            for (k, r) in rows.enumerated() {
                let v = table.values[r * width + slot]
                imputed[k * width + numericSlots.count] = v.isNaN ? (fill ?? 0) : v
            }
            numericSlots.append(slot)
            columns.append(Column(name: name, kind: .numeric, impute: fill, missingIndicator: options.missingIndicators && anyMissing,
                                  mean: 0, scale: 1, categories: nil))
        }
        if standardize, !numericSlots.isEmpty {
            // Repack the imputed numeric values densely (rows × numeric columns) for `Standardizer`.
            let n = numericSlots.count
            var dense = [Float](repeating: 0, count: rows.count * n)
            for k in 0..<rows.count { for j in 0..<n { dense[k * n + j] = imputed[k * width + j] } }
            let fitted = Standardizer(fitting: TabularDataset(featureNames: numericSlots.map { table.layout.featureNames[$0] },
                                                             features: dense, targets: [Float](repeating: 0, count: rows.count),
                                                             task: .regression))
            var j = 0
            for c in columns.indices where columns[c].kind == .numeric {
                columns[c].mean = fitted.mean[j]
                columns[c].scale = fitted.scale[j]
                j += 1
            }
        }
        self.init(task: table.task, labelColumn: table.layout.header[table.layout.labelColumn!], columns: columns,
                  unknownCategory: options.unknownCategory, missing: options.missing)
    }

    static func mean(_ values: [Float]) -> Float {
        Float(values.reduce(0.0) { $0 + Double($1) } / Double(values.count))
    }

    static func median(_ values: [Float]) -> Float {
        let sorted = values.sorted(), mid = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[mid] : Float((Double(sorted[mid - 1]) + Double(sorted[mid])) / 2)
    }

    /// The rows of `table` as model inputs and targets. The table's categories are matched by text, so
    /// it may be another file than the one fitted (a validation or test file).
    public func encode(_ table: RawTable, rows: [Int]) throws(DatasetError) -> TabularDataset {
        // A preprocessing read from a file may be anything; `encodeRow` and the lookups below trust it.
        try check(source: "the preprocessing applied to \(table.path)")
        guard table.featureCount == columns.count, table.layout.featureNames == columns.map(\.name) else {
            throw .invalidOptions("\(table.path): the feature columns \(table.layout.featureNames) are not the fitted ones \(columns.map(\.name))")
        }
        // Per categorical slot: table code → fitted category index, or `RawRow.unknown`.
        let codeMaps: [[Float]] = columns.indices.map { slot in
            guard let categories = columns[slot].categories else { return [] }
            let index = Dictionary(categories.enumerated().map { ($1, Float($0)) }, uniquingKeysWith: { first, _ in first })
            return table.vocabularies[slot].map { index[$0] ?? RawRow.unknown }
        }
        let width = table.featureCount, out = encodedWidth
        var features = [Float](repeating: 0, count: rows.count * out)
        var raw = [Float](repeating: 0, count: width)
        var targets: [Float] = []
        targets.reserveCapacity(rows.count)
        for (k, r) in rows.enumerated() {
            for slot in 0..<width {
                let v = table.values[r * width + slot]
                raw[slot] = columns[slot].kind == .categorical && v >= 0 ? codeMaps[slot][Int(v)] : v
            }
            let problem = raw.withUnsafeBufferPointer { source in
                features.withUnsafeMutableBufferPointer { destination in
                    encodeRow(source, into: destination.baseAddress! + k * out)
                }
            }
            if let problem {
                let text = problem.kind == .unknownCategory ? table.vocabularies[problem.slot][Int(table.values[r * width + problem.slot])] : ""
                throw problem.error(path: table.path, line: Int(table.lines[r]), column: columns[problem.slot].name,
                                    columnNumber: table.layout.featureColumns[problem.slot] + 1, text: text)
            }
            targets.append(table.labels[r])
        }
        try checkLabels(table, rows: rows)
        return TabularDataset(featureNames: encodedFeatures, features: features, targets: targets, task: datasetTask)
    }

    /// Labels of another file than the fitted one must still fit the fitted task.
    private func checkLabels(_ table: RawTable, rows: [Int]) throws(DatasetError) {
        let labelNumber = (table.layout.labelColumn ?? 0) + 1, name = labelColumn ?? "label"
        for r in rows {
            let y = table.labels[r]
            let reason: String?
            switch task {
            case .binary: reason = y == 0 || y == 1 ? nil : "is not valid for binary classification: expected 0 or 1"
            case .multiclass:
                let k = classes ?? 0
                reason = y >= 0 && y < Float(k) && y == y.rounded() ? nil : "is not one of the \(k) trained classes 0..<\(k)"
            case .regression: reason = nil
            }
            if let reason {
                throw .invalidLabel(path: table.path, line: Int(table.lines[r]), column: name, columnNumber: labelNumber, value: y, reason: reason)
            }
        }
    }
}
