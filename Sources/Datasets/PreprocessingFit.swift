extension Preprocessing {
    /// Fits on `rows` of `table` (the training split): imputation values (mean or median of the
    /// non-empty cells, or the constant), indicator flags (columns with an empty cell among `rows`),
    /// categories (sorted), then, if `standardize`, the mean and population std of each numeric column
    /// after imputation (`Standardizer`'s arithmetic, so a plain numeric file gives the same bits as
    /// before preprocessing existed).
    public init(fitting table: RawTable, rows: [Int], options: DataOptions, standardize: Bool) throws(DatasetError) {
        precondition(!rows.isEmpty, "cannot fit preprocessing on no rows")
        let fitter = PreprocessingFitter(layout: table.layout, vocabularies: table.vocabularies, options: options,
                                         standardize: standardize, path: table.path, firstLine: Int(table.lines[rows[0]]))
        let width = table.featureCount
        self = try fitter.fit(task: table.task) { visit in
            table.values.withUnsafeBufferPointer { values in
                for r in rows { visit(UnsafeBufferPointer(rebasing: values[(r * width)..<(r * width + width)])) }
            }
        }
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
