extension Preprocessing {
    /// The options that read a file the way this preprocessing was fitted: its feature columns and
    /// categorical columns, empty cells left for `encodeRow` to impute or refuse, its task.
    public var readingOptions: DataOptions {
        DataOptions(features: columns.map(\.name), missing: missing == "error" ? .error : .mean,
                    categorical: columns.filter { $0.kind == .categorical }.map(\.name),
                    unknownCategory: unknownCategory, task: task)
    }

    /// Every row of a labelled file (a test set) as model inputs, with this preprocessing applied.
    ///
    /// ```swift
    /// let test = try saved.encodeFile("test.csv")   // labels checked against the trained task
    /// ```
    public func encodeFile(_ path: String) throws -> TabularDataset {
        guard let labelColumn else {
            throw DatasetError.invalidOptions("\(path): the model was trained on generated data; there is no label column to read")
        }
        let table = try RawTable(path: path, label: labelColumn, options: readingOptions)
        return try encode(table, rows: Array(0..<table.count))
    }
}
