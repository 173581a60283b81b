/// Turns CSV lines into raw rows under a `TableLayout`: per feature slot a number (NaN for an empty
/// cell) or, for a categorical column, the code of its text in `vocabularies` (first appearance
/// first; -1 for an empty cell); and the label. The one place a line becomes numbers, whether the
/// rows are kept in memory (`RawTable`) or streamed to disk (packing).
///
/// ```swift
/// var decoder = CSVRowDecoder(layout: layout, path: "patients.csv", refusesMissing: true)
/// var row = [Float](repeating: 0, count: layout.featureNames.count)
/// let label = try decoder.decode(line, of: bytes, lineNumber: 2, into: &row)
/// ```
public struct CSVRowDecoder: Sendable {
    public let layout: TableLayout
    public let path: String
    /// Per feature slot, the distinct texts of a categorical column in order of first appearance.
    public private(set) var vocabularies: [[String]]
    private let refusesMissing: Bool
    /// Header column → feature slot, or -1 (unused), or -2 (label).
    private let slotOf: [Int]
    private var lookup: [[String: Int]]

    public init(layout: TableLayout, path: String, refusesMissing: Bool) {
        self.layout = layout
        self.path = path
        self.refusesMissing = refusesMissing
        vocabularies = Array(repeating: [], count: layout.featureNames.count)
        lookup = Array(repeating: [:], count: layout.featureNames.count)
        var slotOf = [Int](repeating: -1, count: layout.header.count)
        for (slot, column) in layout.featureColumns.enumerated() { slotOf[column] = slot }
        if let label = layout.labelColumn { slotOf[label] = -2 }
        self.slotOf = slotOf
    }

    /// Decodes one line into `row` (one value per feature slot) and returns its label; throws the
    /// first problem of the line, naming file, line and column.
    public mutating func decode(_ line: Range<Int>, of bytes: UnsafeBufferPointer<UInt8>, lineNumber: Int,
                                into row: inout [Float]) throws(DatasetError) -> Float {
        let (layout, path, columns, slotOf) = (self.layout, self.path, self.layout.header.count, self.slotOf)
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
        if found != columns { throw .raggedRow(path: path, line: lineNumber, expected: columns, found: found) }
        if let failure { throw failure }
        return label
    }
}

/// What a stream of labels says about the task, gathered one label at a time, so that a file of any
/// size — held in memory or streamed to a pack — is told the same task and the same first bad label.
public struct LabelSummary: Sendable {
    public private(set) var count = 0
    private var allBinary = true, allClasses = true
    private var largest: Float = 0
    /// The first label that is not 0/1, and the first that is not a class index, with their lines.
    private var notBinary: (value: Float, line: Int)?, notClass: (value: Float, line: Int)?

    public init() {}

    public mutating func add(_ y: Float, line: Int) {
        count += 1
        largest = count == 1 ? y : max(largest, y)
        if !(y == 0 || y == 1) { allBinary = false; if notBinary == nil { notBinary = (y, line) } }
        if !(y >= 0 && y == y.rounded() && y < Float(1 << 20)) { allClasses = false; if notClass == nil { notClass = (y, line) } }
    }

    /// The given task, with every label checked against it, or the task the labels suggest.
    public func task(given: DataOptions.TaskKind?, path: String, labelName: String, labelNumber: Int) throws(DatasetError)
        -> TabularDataset.Task {
        func refuse(_ bad: (value: Float, line: Int)?, _ reason: String) throws(DatasetError) {
            guard let bad else { return }
            throw .invalidLabel(path: path, line: bad.line, column: labelName, columnNumber: labelNumber, value: bad.value, reason: reason)
        }
        switch given {
        case .binary?:
            try refuse(notBinary, "is not valid for binary classification: expected 0 or 1")
            return .binaryClassification
        case .multiclass?:
            try refuse(notClass, "is not a class index: expected an integer ≥ 0")
            return .multiclass(classes: Int(largest) + 1)
        case .regression?:
            return .regression
        case nil:
            if allBinary { return .binaryClassification }
            if allClasses && Int(largest) < CSVLoader.maximumInferredClasses { return .multiclass(classes: Int(largest) + 1) }
            return .regression
        }
    }
}
