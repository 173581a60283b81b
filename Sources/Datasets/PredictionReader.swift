/// Reads a file of new rows for prediction in chunks and encodes them with a saved `Preprocessing`,
/// never re-fitting anything. The label column may be absent (if present it is ignored); an id column
/// is carried through; columns the model does not use are ignored and listed once in
/// `ignoredColumns`; a feature column missing from the header is an error naming it.
///
/// ```swift
/// let reader = try PredictionReader(path: "new.csv", preprocessing: saved, idColumn: "patient_id")
/// var x: [Float] = [], ids: [String] = []
/// while try reader.read(limit: 4096, into: &x, ids: &ids, skipBadRows: false, onSkip: { print($0) }) > 0 {
///     x.removeAll(); ids.removeAll()   // once these rows are predicted
/// }
/// ```
public final class PredictionReader {
    public let path: String
    public let preprocessing: Preprocessing
    public let header: [String]
    /// Header columns that are neither features, the id nor the label.
    public let ignoredColumns: [String]
    /// Rows encoded so far and rows skipped as bad.
    public private(set) var rowsRead = 0, rowsSkipped = 0
    /// The file line (1-based, counting the header) of each row the last `read` appended, so that a
    /// problem found later in a row's prediction can name its line.
    public private(set) var lineNumbers: [Int] = []
    public var bytesRead: Int { lines.bytesRead }
    public var fileSize: Int { lines.fileSize }

    private let lines: CSVLineReader
    private static let unused = -1, idSlot = -3
    private let slotOf: [Int]
    private let featureColumnOf: [Int]
    /// Per categorical slot: category text → fitted index.
    private let categoryIndex: [[String: Float]]
    private var raw: [Float]

    /// `chunkSize`: bytes read from the file at a time (the reader's memory, plus the longest line).
    public init(path: String, preprocessing: Preprocessing, idColumn: String?, chunkSize: Int = 1 << 20) throws {
        try preprocessing.check(source: "the preprocessing applied to \(path)")   // `parse` trusts its columns and widths
        lines = try CSVLineReader(path: path, chunkSize: chunkSize)
        guard let header = try lines.nextLine({ bytes, line in RawTable.cells(of: line, in: bytes) }) else {
            throw DatasetError.emptyFile(path: path)
        }
        // As training and eval read a header (`TableLayout`): with two columns of one name, which
        // one is the feature would be a guess.
        var names = Set<String>()
        for name in header where !name.isEmpty {
            guard names.insert(name).inserted else { throw DatasetError.duplicateColumn(path: path, column: name) }
        }
        self.path = path
        self.preprocessing = preprocessing
        self.header = header
        var slots = [Int](repeating: Self.unused, count: header.count)
        var featureColumns: [Int] = []
        for (slot, column) in preprocessing.columns.enumerated() {
            guard let index = header.firstIndex(of: column.name) else {
                throw DatasetError.missingFeatureColumn(path: path, column: column.name, available: header)
            }
            slots[index] = slot
            featureColumns.append(index)
        }
        if let idColumn {
            guard let index = header.firstIndex(of: idColumn) else {
                throw DatasetError.invalidOptions("\(path):1: no id column \"\(idColumn)\"; the columns are: \(header.prefix(40).joined(separator: ", "))")
            }
            guard slots[index] == Self.unused else {
                throw DatasetError.invalidOptions("\(path):1: id column \"\(idColumn)\" is one of the model's features")
            }
            slots[index] = Self.idSlot
        }
        slotOf = slots
        featureColumnOf = featureColumns
        ignoredColumns = header.enumerated().filter { slots[$0.offset] == Self.unused && $0.element != preprocessing.labelColumn }.map(\.element)
        categoryIndex = preprocessing.columns.map { column in
            Dictionary((column.categories ?? []).enumerated().map { ($1, Float($0)) }, uniquingKeysWith: { first, _ in first })
        }
        raw = [Float](repeating: 0, count: preprocessing.columns.count)
    }

    /// Appends up to `limit` encoded rows to `features` (`encodedWidth` floats each) and their ids (empty
    /// strings without an id column); returns how many. A bad row throws, or with `skipBadRows` is
    /// passed to `onSkip` and left out. 0 means the end of the file.
    public func read(limit: Int, into features: inout [Float], ids: inout [String], skipBadRows: Bool,
                     onSkip: (DatasetError) -> Void) throws -> Int {
        var added = 0
        let width = preprocessing.encodedWidth
        lineNumbers.removeAll(keepingCapacity: true)
        while added < limit {
            let outcome: DatasetError?? = try lines.nextLine { bytes, line in
                parse(line, of: bytes, features: &features, ids: &ids, width: width)
            }
            guard let problem = outcome else { break }   // end of file
            if let problem {
                guard skipBadRows else { throw problem }
                rowsSkipped += 1
                onSkip(problem)
                continue
            }
            added += 1
            rowsRead += 1
        }
        if added == 0 && rowsRead == 0 && rowsSkipped == 0 { throw DatasetError.noDataRows(path: path) }
        return added
    }

    private func parse(_ line: Range<Int>, of bytes: UnsafeBufferPointer<UInt8>, features: inout [Float],
                       ids: inout [String], width: Int) -> DatasetError? {
        let lineNumber = lines.lineNumber, columns = header.count, path = self.path
        var failure: DatasetError?, id = ""
        for slot in raw.indices { raw[slot] = .nan }
        let found = CSVParser.forEachCell(in: line, of: bytes) { column, range in
            guard column < columns, failure == nil else { return }
            let slot = slotOf[column]
            if slot == Self.unused { return }
            if slot == Self.idSlot { id = CSVParser.text(range, of: bytes).replacingDoubledQuotes(); return }
            if preprocessing.columns[slot].kind == .categorical {
                raw[slot] = range.isEmpty ? RawRow.missing
                    : categoryIndex[slot][CSVParser.text(range, of: bytes).replacingDoubledQuotes()] ?? RawRow.unknown
                return
            }
            if range.isEmpty { return }   // stays NaN: imputed or refused by `encodeRow`
            switch CSVParser.parseFloat(range, of: bytes) {
            case .value(let v): raw[slot] = v
            case .notNumber:
                failure = .nonNumericCell(path: path, line: lineNumber, column: header[column], columnNumber: column + 1,
                                          text: CSVParser.text(range, of: bytes))
            case .notFinite:
                failure = .nonFiniteCell(path: path, line: lineNumber, column: header[column], columnNumber: column + 1,
                                         text: CSVParser.text(range, of: bytes))
            }
        }
        if found != columns { return .raggedRow(path: path, line: lineNumber, expected: columns, found: found) }
        if let failure { return failure }
        let start = features.count
        features.append(contentsOf: repeatElement(0, count: width))
        let problem = raw.withUnsafeBufferPointer { source in
            features.withUnsafeMutableBufferPointer { preprocessing.encodeRow(source, into: $0.baseAddress! + start) }
        }
        if let problem {
            features.removeLast(width)
            let column = featureColumnOf[problem.slot]
            var text = ""
            if problem.kind == .unknownCategory {
                _ = CSVParser.forEachCell(in: line, of: bytes) { c, range in
                    if c == column { text = CSVParser.text(range, of: bytes).replacingDoubledQuotes() }
                }
            }
            return problem.error(path: path, line: lineNumber, column: header[column], columnNumber: column + 1, text: text)
        }
        ids.append(id)
        lineNumbers.append(lineNumber)
        return nil
    }
}
