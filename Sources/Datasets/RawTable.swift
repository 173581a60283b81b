/// A CSV file read into memory before any fitting: numbers as read (NaN for an empty cell), text
/// categories as codes into per-column vocabularies, labels as numbers. `Preprocessing` is fitted on
/// some of its rows and then turns any of them into model inputs.
///
/// Empty cells are refused here, naming file, line and column, when `options.missing` is `.error`.
///
/// ```swift
/// let table = try RawTable(path: "patients.csv", label: "outcome", options: options)
/// let fitted = try Preprocessing(fitting: table, rows: trainRows, options: options, standardize: true)
/// let train = try fitted.encode(table, rows: trainRows)
/// ```
public struct RawTable: Sendable {
    public let path: String
    public let layout: TableLayout
    /// Row-major, `count × featureCount`: a number, NaN for an empty numeric cell; for a categorical
    /// slot the code into `vocabularies[slot]`, or -1 for an empty cell.
    public internal(set) var values: [Float] = []
    /// Per feature slot, the distinct texts of a categorical column in order of first appearance.
    public internal(set) var vocabularies: [[String]]
    public internal(set) var labels: [Float] = []
    /// The file line of each row, for error messages.
    public internal(set) var lines: [Int32] = []
    /// The task given by the options or inferred from the labels.
    public internal(set) var task: TabularDataset.Task = .regression

    public var count: Int { labels.count }
    public var featureCount: Int { layout.featureNames.count }

    /// Reads `path` in chunks; `onChunk` sees every byte once (to hash the file while reading it).
    public init(path: String, label: String, options: DataOptions,
                onChunk: ((UnsafeRawBufferPointer) -> Void)? = nil) throws {
        let reader = try CSVLineReader(path: path, onChunk: onChunk)
        guard let header = try reader.nextLine({ bytes, line in Self.cells(of: line, in: bytes) }) else {
            throw DatasetError.emptyFile(path: path)
        }
        self.path = path
        layout = try TableLayout(header: header, options: options, label: label, source: path)
        vocabularies = Array(repeating: [], count: layout.featureNames.count)
        try readRows(reader, options: options)
        guard !labels.isEmpty else { throw DatasetError.noDataRows(path: path) }
        task = try Self.task(of: labels, given: options.task, path: path, lines: lines, labelName: label,
                             labelNumber: layout.labelColumn! + 1)
    }

    static func cells(of line: Range<Int>, in bytes: UnsafeBufferPointer<UInt8>) -> [String] {
        var out: [String] = []
        _ = CSVParser.forEachCell(in: line, of: bytes) { _, range in
            out.append(CSVParser.text(range, of: bytes).replacingDoubledQuotes())
        }
        return out
    }

    private mutating func readRows(_ reader: CSVLineReader, options: DataOptions) throws {
        let layout = self.layout, path = self.path, width = layout.featureNames.count, columns = layout.header.count
        // Header column → feature slot, or -1 (unused), or -2 (label).
        var slotOf = [Int](repeating: -1, count: columns)
        for (slot, column) in layout.featureColumns.enumerated() { slotOf[column] = slot }
        if let label = layout.labelColumn { slotOf[label] = -2 }
        var lookup = [[String: Int]](repeating: [:], count: width)
        var row = [Float](repeating: 0, count: width)
        let refusesMissing = options.refusesMissing
        while let problem: DatasetError? = try reader.nextLine({ bytes, line in
            let lineNumber = reader.lineNumber
            var label: Float = .nan, failure: DatasetError?
            let found = CSVParser.forEachCell(in: line, of: bytes) { column, range in
                guard column < columns, failure == nil else { return }
                let slot = slotOf[column]
                if slot == -1 { return }
                let name = layout.header[column]
                if slot == -2 {
                    switch CSVParser.parseFloat(range, of: bytes) {
                    case .value(let v): label = v
                    case .notNumber:
                        failure = range.isEmpty
                            ? .unusableCell(path: path, line: lineNumber, column: name, columnNumber: column + 1, reason: "the label is missing")
                            : .nonNumericCell(path: path, line: lineNumber, column: name, columnNumber: column + 1, text: CSVParser.text(range, of: bytes))
                    case .notFinite:
                        failure = .nonFiniteCell(path: path, line: lineNumber, column: name, columnNumber: column + 1, text: CSVParser.text(range, of: bytes))
                    }
                    return
                }
                if range.isEmpty {
                    if refusesMissing {
                        failure = .unusableCell(path: path, line: lineNumber, column: name, columnNumber: column + 1,
                                                reason: "empty cell (set a missing-value policy: mean, median or constant)")
                    }
                    row[slot] = layout.isCategorical[slot] ? -1 : .nan
                } else if layout.isCategorical[slot] {
                    let text = CSVParser.text(range, of: bytes).replacingDoubledQuotes()
                    if let code = lookup[slot][text] {
                        row[slot] = Float(code)
                    } else {
                        lookup[slot][text] = vocabularies[slot].count
                        row[slot] = Float(vocabularies[slot].count)
                        vocabularies[slot].append(text)
                    }
                } else {
                    switch CSVParser.parseFloat(range, of: bytes) {
                    case .value(let v): row[slot] = v
                    case .notNumber:
                        failure = .nonNumericCell(path: path, line: lineNumber, column: name, columnNumber: column + 1, text: CSVParser.text(range, of: bytes))
                    case .notFinite:
                        failure = .nonFiniteCell(path: path, line: lineNumber, column: name, columnNumber: column + 1, text: CSVParser.text(range, of: bytes))
                    }
                }
            }
            if found != columns { return DatasetError.raggedRow(path: path, line: lineNumber, expected: columns, found: found) }
            if let failure { return failure }
            values.append(contentsOf: row)
            labels.append(label)
            lines.append(Int32(truncatingIfNeeded: lineNumber))
            return nil
        }) {
            if let problem { throw problem }
        }
    }

    /// The given task, with every label checked against it, or the task the labels suggest.
    static func task(of labels: [Float], given: DataOptions.TaskKind?, path: String, lines: [Int32],
                     labelName: String, labelNumber: Int) throws(DatasetError) -> TabularDataset.Task {
        let isBinary = labels.allSatisfy { $0 == 0 || $0 == 1 }
        let isClass = labels.allSatisfy { $0 >= 0 && $0 == $0.rounded() && $0 < Float(1 << 20) }
        let largest = Int(labels.max() ?? 0)
        func firstBad(_ ok: (Float) -> Bool, _ reason: String) throws(DatasetError) {
            if let k = labels.firstIndex(where: { !ok($0) }) {
                throw .invalidLabel(path: path, line: Int(lines[k]), column: labelName, columnNumber: labelNumber,
                                    value: labels[k], reason: reason)
            }
        }
        switch given {
        case .binary?:
            try firstBad({ $0 == 0 || $0 == 1 }, "is not valid for binary classification: expected 0 or 1")
            return .binaryClassification
        case .multiclass?:
            try firstBad({ $0 >= 0 && $0 == $0.rounded() && $0 < Float(1 << 20) }, "is not a class index: expected an integer ≥ 0")
            return .multiclass(classes: largest + 1)
        case .regression?:
            return .regression
        case nil:
            if isBinary { return .binaryClassification }
            if isClass && largest < CSVLoader.maximumInferredClasses { return .multiclass(classes: largest + 1) }
            return .regression
        }
    }
}
