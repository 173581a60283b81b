/// Raw cell values as `Preprocessing.encodeRow` takes them: per feature column, a number (NaN for an
/// empty cell), or for a categorical column the fitted category index, `missing` or `unknown`.
public enum RawRow {
    public static let missing: Float = -1
    public static let unknown: Float = -2
}

/// Why one row could not be encoded: the feature slot and the kind of problem.
public struct RowProblem: Sendable, Hashable {
    /// `notEncodable`: the standardised value is not finite (an extreme value, or an extreme saved
    /// mean or scale), which the model would turn into NaN or infinite outputs.
    public enum Kind: Sendable, Hashable { case missingValue, unknownCategory, notEncodable }
    public var slot: Int
    public var kind: Kind

    public func error(path: String, line: Int, column: String, columnNumber: Int, text: String) -> DatasetError {
        switch kind {
        case .missingValue:
            .unusableCell(path: path, line: line, column: column, columnNumber: columnNumber,
                          reason: "empty cell, and the model was trained without a missing-value policy")
        case .unknownCategory:
            .unusableCell(path: path, line: line, column: column, columnNumber: columnNumber,
                          reason: "category \"\(text.count > 40 ? String(text.prefix(40)) + "…" : text)\" never appeared in training")
        case .notEncodable:
            .unusableCell(path: path, line: line, column: column, columnNumber: columnNumber,
                          reason: "the value becomes a non-finite input under the saved mean and scale")
        }
    }
}

extension Preprocessing {
    /// Encodes one row of raw values (`RawRow` conventions, one per column) into `encodedWidth` floats
    /// at `out`; returns the first problem instead when the row cannot be used. No allocation: this
    /// runs for every row of a prediction file.
    public func encodeRow(_ raw: UnsafeBufferPointer<Float>, into out: UnsafeMutablePointer<Float>) -> RowProblem? {
        var o = 0
        for (slot, column) in columns.enumerated() {
            let v = raw[slot]
            switch column.kind {
            case .numeric:
                var x = v
                if x.isNaN {
                    guard let fill = column.impute else { return RowProblem(slot: slot, kind: .missingValue) }
                    x = fill
                }
                let z = (x - column.mean) / column.scale
                guard z.isFinite else { return RowProblem(slot: slot, kind: .notEncodable) }
                out[o] = z
                o += 1
                if column.missingIndicator {
                    out[o] = v.isNaN ? 1 : 0
                    o += 1
                }
            case .categorical:
                let width = column.categories?.count ?? 0
                for j in 0..<width { out[o + j] = 0 }
                if v == RawRow.missing {
                    if missing == "error" { return RowProblem(slot: slot, kind: .missingValue) }
                } else if v == RawRow.unknown || v < 0 || Int(v) >= width {
                    if unknownCategory == .error { return RowProblem(slot: slot, kind: .unknownCategory) }
                } else {
                    out[o + Int(v)] = 1
                }
                o += width
            }
        }
        return nil
    }
}
