import Foundation

/// Loads a numeric CSV file into a `TabularDataset`.
///
/// The first row names the columns. One column, named by `labelColumn`, is the target; the features are
/// `featureColumns` in the order given, or else every other column in file order. Cells are numbers as
/// C's `strtof` reads them, optionally quoted and surrounded by spaces; blank lines are skipped; CRLF line
/// ends and a UTF-8 byte-order mark are accepted. Columns not used may hold anything (an id, a name).
///
/// The task is `task` if given (the labels are then checked against it), else inferred from the labels:
/// binary when all are 0 or 1, multiclass when all are non-negative integers below 100 (classes =
/// largest + 1), regression otherwise. Give `task` when the heuristic would guess wrong (e.g. an integer
/// regression target such as a count).
///
/// Every problem is a `DatasetError` whose message names the file, line and column.
///
/// ```swift
/// let digits = try CSVLoader(labelColumn: "digit").load(path: "configs/data/digits.csv")
/// (digits.count, digits.featureCount, digits.task)   // (1797, 64, .multiclass(classes: 10))
/// ```
public struct CSVLoader: Sendable, Hashable {
    public var labelColumn: String
    /// The feature columns, in the order the model sees them; `nil` means all columns but the label.
    public var featureColumns: [String]?
    /// The task; `nil` infers it from the labels.
    public var task: TabularDataset.Task?

    /// Labels are multiclass when they are non-negative integers below this.
    public static let maximumInferredClasses = 100

    public init(labelColumn: String, featureColumns: [String]? = nil, task: TabularDataset.Task? = nil) {
        self.labelColumn = labelColumn
        self.featureColumns = featureColumns
        self.task = task
    }

    /// Reads and parses the file at `path`.
    public func load(path: String) throws(DatasetError) -> TabularDataset {
        // A FIFO or a device (/dev/zero) would block or never end: only regular files are read,
        // checked on the opened descriptor (`DataFile`).
        let data = try DataFile.contents(of: path)
        return try parse(bytes: data, source: path)
    }

    /// Parses CSV text already in memory; `source` names it in error messages.
    public func parse(bytes: [UInt8], source: String) throws(DatasetError) -> TabularDataset {
        let result = bytes.withUnsafeBufferPointer { buffer in
            var parser = CSVParser(bytes: buffer, source: source, options: self)
            return parser.run()
        }
        return try result.get()
    }
}
