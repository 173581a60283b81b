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
    private var labelSummary = LabelSummary()

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
        task = try labelSummary.task(given: options.task, path: path, labelName: label, labelNumber: layout.labelColumn! + 1)
    }

    /// The cells of a header line as text (quotes undone).
    public static func cells(of line: Range<Int>, in bytes: UnsafeBufferPointer<UInt8>) -> [String] {
        var out: [String] = []
        _ = CSVParser.forEachCell(in: line, of: bytes) { _, range in
            out.append(CSVParser.text(range, of: bytes).replacingDoubledQuotes())
        }
        return out
    }

    private mutating func readRows(_ reader: CSVLineReader, options: DataOptions) throws {
        var decoder = CSVRowDecoder(layout: layout, path: path, refusesMissing: options.refusesMissing)
        var summary = LabelSummary()
        var row = [Float](repeating: 0, count: layout.featureNames.count)
        while let problem = try reader.nextLine({ bytes, line -> DatasetError? in
            do {
                let label = try decoder.decode(line, of: bytes, lineNumber: reader.lineNumber, into: &row)
                values.append(contentsOf: row)
                labels.append(label)
                lines.append(Int32(truncatingIfNeeded: reader.lineNumber))
                summary.add(label, line: reader.lineNumber)
                return nil
            } catch let problem as DatasetError {
                return problem
            }
        }) {
            if let problem { throw problem }
        }
        vocabularies = decoder.vocabularies
        labelSummary = summary
    }
}
