extension String {
    /// This text as one line of an error message: line breaks and other control characters (C0 but
    /// the tab, DEL, C1, U+2028 and U+2029, which terminals and most languages' line readers treat as
    /// line ends) written as escapes — `\n`, `\r`, `\u{1b}` — and the rest unchanged. A path, a header
    /// name or a cell read from a damaged file may hold them, and printed as they are they would split
    /// the message and pass for a second one. The one rule for `DatasetError`, `TrainingError` and
    /// the CLI's printed errors.
    public var escapedToOneLine: String {
        func escapes(_ s: Unicode.Scalar) -> Bool {
            (s.value < 0x20 && s != "\t") || (0x7F...0x9F).contains(s.value) || s.value == 0x2028 || s.value == 0x2029
        }
        guard unicodeScalars.contains(where: escapes) else { return self }
        var out = ""
        for scalar in unicodeScalars {
            switch scalar {
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            default:
                if escapes(scalar) { out += "\\u{" + String(scalar.value, radix: 16) + "}" } else { out.unicodeScalars.append(scalar) }
            }
        }
        return out
    }
}
