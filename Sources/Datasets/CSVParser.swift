#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The byte-level CSV reader behind `CSVLoader`. It walks the raw bytes once and parses numbers in
/// place, so a data cell costs no String and no allocation; only header names become Strings.
struct CSVParser {
    let bytes: UnsafeBufferPointer<UInt8>
    let source: String
    let options: CSVLoader

    private var position = 0
    /// 1-based number of the line most recently returned by `nextLine`.
    private var lineNumber = 0

    init(bytes: UnsafeBufferPointer<UInt8>, source: String, options: CSVLoader) {
        self.bytes = bytes
        self.source = source
        self.options = options
        // A UTF-8 byte-order mark (Excel writes one) is not part of the first column's name.
        if bytes.count >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF { position = 3 }
    }

    mutating func run() -> Result<TabularDataset, DatasetError> {
        do { return .success(try parse()) } catch { return .failure(error) }
    }

    // MARK: Lines and cells

    static let comma = UInt8(ascii: ","), quote = UInt8(ascii: "\""), newline = UInt8(ascii: "\n")
    private static let carriageReturn = UInt8(ascii: "\r"), space = UInt8(ascii: " "), tab = UInt8(ascii: "\t")

    /// The next non-blank line, without its line end; `nil` at the end of the file.
    private mutating func nextLine() -> Range<Int>? {
        while position < bytes.count {
            let start = position
            var end = start
            while end < bytes.count && bytes[end] != Self.newline { end += 1 }
            position = end + 1
            lineNumber += 1
            var contentEnd = end
            if contentEnd > start && bytes[contentEnd - 1] == Self.carriageReturn { contentEnd -= 1 }
            let trimmed = trim(start..<contentEnd)
            if !trimmed.isEmpty { return start..<contentEnd }
        }
        return nil
    }

    private func trim(_ range: Range<Int>) -> Range<Int> { Self.trim(range, of: bytes) }

    static func trim(_ range: Range<Int>, of bytes: UnsafeBufferPointer<UInt8>) -> Range<Int> {
        var lower = range.lowerBound, upper = range.upperBound
        while lower < upper && (bytes[lower] == Self.space || bytes[lower] == Self.tab) { lower += 1 }
        while upper > lower && (bytes[upper - 1] == Self.space || bytes[upper - 1] == Self.tab) { upper -= 1 }
        return lower..<upper
    }

    /// Calls `body(column, content)` for each cell of `line` and returns the number of cells. `content`
    /// is trimmed and, for a quoted cell, excludes the quotes (a doubled quote inside stays doubled).
    static func forEachCell(in line: Range<Int>, of bytes: UnsafeBufferPointer<UInt8>,
                                    _ body: (Int, Range<Int>) -> Void) -> Int {
        var column = 0, i = line.lowerBound
        while true {
            var cellEnd = i
            while cellEnd < line.upperBound && (bytes[cellEnd] == Self.space || bytes[cellEnd] == Self.tab) { cellEnd += 1 }
            var content: Range<Int>
            if cellEnd < line.upperBound && bytes[cellEnd] == Self.quote {
                // Quoted: runs to the closing quote ("" is an escaped quote), then up to the comma.
                let open = cellEnd + 1
                var close = open
                while close < line.upperBound {
                    if bytes[close] == Self.quote {
                        if close + 1 < line.upperBound && bytes[close + 1] == Self.quote { close += 2; continue }
                        break
                    }
                    close += 1
                }
                content = open..<close
                cellEnd = min(close + 1, line.upperBound)
                while cellEnd < line.upperBound && bytes[cellEnd] != Self.comma { cellEnd += 1 }
            } else {
                while cellEnd < line.upperBound && bytes[cellEnd] != Self.comma { cellEnd += 1 }
                content = trim(i..<cellEnd, of: bytes)
            }
            body(column, content)
            column += 1
            if cellEnd >= line.upperBound { return column }
            i = cellEnd + 1
        }
    }

    static func text(_ range: Range<Int>, of bytes: UnsafeBufferPointer<UInt8>) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self)
    }

    // MARK: The file

    private mutating func parse() throws(DatasetError) -> TabularDataset {
        // The cell closures below capture only these locals: capturing `self` would copy the parser per cell.
        let input = bytes, path = source
        guard let headerLine = nextLine() else { throw .emptyFile(path: path) }
        var header: [String] = []
        _ = Self.forEachCell(in: headerLine, of: input) { _, range in
            header.append(Self.text(range, of: input).replacingDoubledQuotes())
        }
        let layout = try ColumnLayout(header: header, options: options, source: path)

        let width = layout.featureNames.count, columns = header.count
        var features: [Float] = [], targets: [Float] = []
        let estimatedRows = input.reduce(0) { $0 + ($1 == Self.newline ? 1 : 0) }
        features.reserveCapacity(estimatedRows * width)
        targets.reserveCapacity(estimatedRows)
        var row = [Float](repeating: 0, count: width)
        var labelsAreBinary = true, labelsAreClasses = true
        var largestLabel: Float = 0

        let destinations = layout.destination
        while let line = nextLine() {
            let lineNumber = self.lineNumber
            var label: Float = 0
            var firstError: DatasetError?
            var failed = false   // a Bool, not `firstError == nil`: Equatable on the enum is slow per cell
            // Errors are noted, not thrown, so that the row's cells are still counted (see below).
            let found = row.withUnsafeMutableBufferPointer { row in
                Self.forEachCell(in: line, of: input) { column, range in
                    guard column < columns, !failed else { return }
                    let destination = destinations[column]
                    if destination == ColumnLayout.skip { return }
                    switch Self.parseFloat(range, of: input) {
                    case .value(let value):
                        if destination == ColumnLayout.label { label = value } else { row[destination] = value }
                    case .notNumber:
                        failed = true
                        firstError = .nonNumericCell(path: path, line: lineNumber, column: header[column],
                                                     columnNumber: column + 1, text: Self.text(range, of: input))
                    case .notFinite:
                        failed = true
                        firstError = .nonFiniteCell(path: path, line: lineNumber, column: header[column],
                                                    columnNumber: column + 1, text: Self.text(range, of: input))
                    }
                }
            }
            // The cell count is checked first: in a ragged row the bad cell is often just misplaced.
            if found != columns { throw .raggedRow(path: path, line: lineNumber, expected: columns, found: found) }
            if let firstError { throw firstError }
            if let task = options.task, let reason = Self.labelProblem(label, task: task) {
                throw .invalidLabel(path: path, line: lineNumber, column: options.labelColumn,
                                    columnNumber: layout.labelColumn + 1, value: label, reason: reason)
            }
            labelsAreBinary = labelsAreBinary && (label == 0 || label == 1)
            labelsAreClasses = labelsAreClasses && label >= 0 && label == label.rounded()
                && label < Float(CSVLoader.maximumInferredClasses)
            largestLabel = max(largestLabel, label)
            features.append(contentsOf: row)
            targets.append(label)
        }
        guard !targets.isEmpty else { throw .noDataRows(path: path) }

        let task: TabularDataset.Task
        if let given = options.task {
            task = given
        } else if labelsAreBinary {
            task = .binaryClassification
        } else if labelsAreClasses {
            task = .multiclass(classes: Int(largestLabel) + 1)
        } else {
            task = .regression
        }
        return TabularDataset(featureNames: layout.featureNames, features: features, targets: targets, task: task)
    }

    /// Why `label` does not fit `task`, or nil if it does.
    private static func labelProblem(_ label: Float, task: TabularDataset.Task) -> String? {
        switch task {
        case .binaryClassification:
            return label == 0 || label == 1 ? nil : "is not valid for binary classification: expected 0 or 1"
        case .multiclass(let classes):
            return label >= 0 && label < Float(classes) && label == label.rounded()
                ? nil : "is not valid for \(classes) classes: expected an integer in 0..<\(classes)"
        case .regression:
            return nil
        }
    }

    // MARK: Numbers

    enum ParsedNumber { case value(Float), notNumber, notFinite }

    private static let powersOfTen: [Float] = (0...10).map { Float(pow(10.0, Double($0))) }

    /// Parses one cell. Plain decimals with at most 24 significant bits and 10 decimals (integers, pixel
    /// values, most lab values) are exact in float32, so one float division rounds them correctly;
    /// anything else (exponents, long mantissas, nan, inf) goes to `strtof`.
    static func parseFloat(_ range: Range<Int>, of bytes: UnsafeBufferPointer<UInt8>) -> ParsedNumber {
        if range.isEmpty { return .notNumber }
        var i = range.lowerBound
        var negative = false
        if bytes[i] == UInt8(ascii: "-") || bytes[i] == UInt8(ascii: "+") {
            negative = bytes[i] == UInt8(ascii: "-")
            i += 1
        }
        var mantissa: UInt64 = 0, digits = 0, decimals = 0, sawPoint = false
        while i < range.upperBound && digits <= 18 {
            let byte = bytes[i]
            if byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") {
                mantissa = mantissa * 10 + UInt64(byte - UInt8(ascii: "0"))
                digits += 1
                if sawPoint { decimals += 1 }
            } else if byte == UInt8(ascii: ".") && !sawPoint {
                sawPoint = true
            } else {
                break
            }
            i += 1
        }
        if i == range.upperBound && digits > 0 && mantissa <= 1 << 24 && decimals <= 10 {
            let magnitude = Float(mantissa) / Self.powersOfTen[decimals]
            return .value(negative ? -magnitude : magnitude)
        }
        return slowParse(range, of: bytes)
    }

    private static func slowParse(_ range: Range<Int>, of bytes: UnsafeBufferPointer<UInt8>) -> ParsedNumber {
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: range.count + 1) { buffer in
            for (k, byte) in bytes[range].enumerated() { buffer[k] = CChar(bitPattern: byte) }
            buffer[range.count] = 0
            var end: UnsafeMutablePointer<CChar>?
            let value = strtof(buffer.baseAddress!, &end)
            guard let end, end == buffer.baseAddress! + range.count else { return .notNumber }
            return value.isFinite ? .value(value) : .notFinite
        }
    }
}

/// Where each CSV column goes: into feature slot `f`, the label, or nowhere.
private struct ColumnLayout {
    static let skip = -1, label = -2
    var destination: [Int]
    var featureNames: [String]
    var labelColumn: Int

    init(header: [String], options: CSVLoader, source: String) throws(DatasetError) {
        var seen = Set<String>()
        for (k, name) in header.enumerated() {
            guard seen.insert(name).inserted else { throw .duplicateColumn(path: source, column: name) }
            // An unnamed column only matters if it would be used; when features are listed, ignore it.
            if name.isEmpty && options.featureColumns == nil { throw .unnamedColumn(path: source, columnNumber: k + 1) }
        }
        guard let labelColumn = header.firstIndex(of: options.labelColumn) else {
            throw .missingLabelColumn(path: source, label: options.labelColumn, available: header)
        }
        self.labelColumn = labelColumn
        destination = [Int](repeating: Self.skip, count: header.count)
        destination[labelColumn] = Self.label
        if let wanted = options.featureColumns {
            for (slot, name) in wanted.enumerated() {
                guard let column = header.firstIndex(of: name) else {
                    throw .missingFeatureColumn(path: source, column: name, available: header)
                }
                guard column != labelColumn else { throw .labelUsedAsFeature(path: source, column: name) }
                guard destination[column] == Self.skip else { throw .duplicateColumn(path: source, column: name) }
                destination[column] = slot
            }
            featureNames = wanted
        } else {
            featureNames = []
            for (column, name) in header.enumerated() where column != labelColumn {
                destination[column] = featureNames.count
                featureNames.append(name)
            }
        }
    }
}

extension String {
    /// `a""b` → `a"b`: the CSV escape for a quote inside a quoted cell.
    func replacingDoubledQuotes() -> String {
        contains("\"\"") ? split(separator: "\"\"", omittingEmptySubsequences: false).joined(separator: "\"") : self
    }
}
