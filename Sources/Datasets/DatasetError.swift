/// Everything that can go wrong while loading or arranging data, each as a one-line message that names
/// the file, line and column where there is one, so that a user can go straight to the bad cell.
///
/// ```swift
/// do {
///     _ = try CSVLoader(labelColumn: "digit").load(path: "configs/data/digits.csv")
/// } catch {
///     print(error)   // configs/data/digits.csv:12: column "p3" (4): "x" is not a number
/// }
/// ```
public enum DatasetError: Error, CustomStringConvertible, Equatable, Sendable {
    case fileNotFound(path: String)
    case unreadableFile(path: String, reason: String)
    case emptyFile(path: String)
    case noDataRows(path: String)
    case duplicateColumn(path: String, column: String)
    /// A header cell with no name, e.g. the index column pandas writes by default.
    case unnamedColumn(path: String, columnNumber: Int)
    case missingLabelColumn(path: String, label: String, available: [String])
    case missingFeatureColumn(path: String, column: String, available: [String])
    case labelUsedAsFeature(path: String, column: String)
    /// `line` is 1-based and counts the header; `expected` is the header's cell count.
    case raggedRow(path: String, line: Int, expected: Int, found: Int)
    /// `columnNumber` is 1-based, as a spreadsheet or `cut -f` would count.
    case nonNumericCell(path: String, line: Int, column: String, columnNumber: Int, text: String)
    case nonFiniteCell(path: String, line: Int, column: String, columnNumber: Int, text: String)
    case invalidLabel(path: String, line: Int, column: String, columnNumber: Int, value: Float, reason: String)
    case invalidSplit(String)
    case invalidBatchPlan(BatchPlan.Problem)
    /// A cell the saved or fitted preprocessing cannot use: missing, an unseen category, no training values.
    case unusableCell(path: String, line: Int, column: String, columnNumber: Int, reason: String)
    /// Data options that contradict each other or the file (e.g. a listed feature that is also excluded).
    case invalidOptions(String)
    /// A saved preprocessing (`preprocessing.json`) that cannot be applied as it stands: `reason` names
    /// the column or key.
    case invalidPreprocessing(path: String, reason: String)
    /// Arguments a hidden Markov model, a synthetic language or token windows cannot be made from
    /// (no states, a vocabulary of one token, a context of zero tokens, a row that is not a distribution).
    case invalidSequenceData(String)

    public var description: String { message.escapedToOneLine }

    private var message: String {
        switch self {
        case .fileNotFound(let path):
            return "\(path): no such file"
        case .unreadableFile(let path, let reason):
            return "\(path): cannot read the file: \(reason)"
        case .emptyFile(let path):
            return "\(path): the file is empty (expected a header row naming the columns)"
        case .noDataRows(let path):
            return "\(path): the file has a header row but no data rows"
        case .duplicateColumn(let path, let column):
            return "\(path):1: column \"\(column)\" appears more than once in the header"
        case .unnamedColumn(let path, let number):
            return "\(path):1: column \(number) has no name in the header (give the columns to use, or name it)"
        case .missingLabelColumn(let path, let label, let available):
            return "\(path):1: no label column \"\(label)\"; the columns are: \(Self.list(available))"
        case .missingFeatureColumn(let path, let column, let available):
            return "\(path):1: no feature column \"\(column)\"; the columns are: \(Self.list(available))"
        case .labelUsedAsFeature(let path, let column):
            return "\(path):1: column \"\(column)\" is the label and cannot also be a feature"
        case .raggedRow(let path, let line, let expected, let found):
            return "\(path):\(line): the row has \(found) cells but the header has \(expected)"
        case .nonNumericCell(let path, let line, let column, let number, let text):
            let what = text.isEmpty ? "empty cell (missing values are not supported)" : "\"\(Self.clip(text))\" is not a number"
            return "\(path):\(line): column \"\(column)\" (\(number)): \(what)"
        case .nonFiniteCell(let path, let line, let column, let number, let text):
            return "\(path):\(line): column \"\(column)\" (\(number)): \"\(Self.clip(text))\" is not a finite float32 value"
        case .invalidLabel(let path, let line, let column, let number, let value, let reason):
            return "\(path):\(line): column \"\(column)\" (\(number)): label \(value) \(reason)"
        case .unusableCell(let path, let line, let column, let number, let reason):
            return "\(path):\(line): column \"\(column)\" (\(number)): \(reason)"
        case .invalidSplit(let message), .invalidOptions(let message), .invalidSequenceData(let message):
            return message
        case .invalidPreprocessing(let path, let reason):
            return "\(path): \(reason)"
        case .invalidBatchPlan(let problem):
            return problem.message()
        }
    }

    /// A column list short enough for one line: a 65-column file shows its first 40 names.
    private static func list(_ names: [String]) -> String {
        let shown = names.prefix(40).joined(separator: ", ")
        return names.count > 40 ? "\(shown), … (\(names.count) in all)" : shown
    }

    /// A cell excerpt: a runaway cell (a whole unquoted paragraph, binary junk) must not flood the terminal.
    private static func clip(_ text: String) -> String {
        text.count > 40 ? String(text.prefix(40)) + "…" : text
    }
}
