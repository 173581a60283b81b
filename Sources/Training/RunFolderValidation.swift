import Datasets
import Config

extension RunFolder {
    /// The run's validation rows, encoded with the saved preprocessing (never re-fitted): the config's
    /// validation file if the run had one, else the held-out split of the training file. The files
    /// read must be the ones `data.json` records — the same rows and SHA-256 — because the held-out
    /// rows are a function of the training file: after it changed, they would be other rows, some
    /// of them trained on. A missing or damaged `data.json`, or changed data, is one line; a test
    /// file can always be evaluated with `eval --data FILE`.
    ///
    /// ```swift
    /// let rows = try RunFolder.load("runs/x").validationSet()   // refused if the data changed since training
    /// ```
    public func validationSet() throws -> any LabeledRows {
        guard let data else {
            throw TrainingError("\(dataProblem ?? path + ": no data record"); evaluate a file with --data FILE")
        }
        let dataPath = path + "/" + Self.dataFile
        if let validationPath = config.data.options.validationPath, let recorded = data.files.last {
            let hasher = FileHasher()
            let table = try RawTable(path: validationPath, label: preprocessing.labelColumn ?? "", options: preprocessing.readingOptions,
                                     onChunk: hasher.update)
            let now = DataProvenance(role: recorded.role, path: validationPath, rows: table.count, sha256: hasher.hex)
            try Self.refuseChange(RunData(files: [now], validationFraction: 0),
                                  since: RunData(files: [recorded], validationFraction: 0), record: dataPath)
            return try preprocessing.encode(table, rows: Array(0..<table.count))
        }
        let prepared = try PreparedData(config: config, options: preprocessing.readingOptions, fitted: preprocessing)
        try Self.refuseChange(RunData(files: prepared.provenance, validationFraction: prepared.validationFraction),
                              since: data, record: dataPath)
        guard prepared.hasValidation else { throw TrainingError("\(path): the run had no validation split (validation fraction 0); give --data FILE") }
        return prepared.validation
    }

    private static func refuseChange(_ now: RunData, since recorded: RunData, record: String) throws {
        if let change = now.change(since: recorded) {
            throw TrainingError("\(record): \(change): the run's validation rows cannot be rebuilt from changed data; evaluate a file with --data FILE")
        }
    }
}
