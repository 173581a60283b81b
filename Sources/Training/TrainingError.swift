/// A problem with a run's inputs or outputs, reported as one line naming what is wrong. Line breaks
/// and other control characters in the text (a path, or a name read from a damaged file) are written
/// as escapes (`\n`, `\u{1}`), so that the message stays one line whatever it quotes.
public struct TrainingError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = Self.oneLine(description) }

    static func oneLine(_ text: String) -> String {
        func isBreak(_ s: Unicode.Scalar) -> Bool { s.value < 0x20 || s.value == 0x7F || s.value == 0x2028 || s.value == 0x2029 || s.value == 0x85 }
        guard text.unicodeScalars.contains(where: isBreak) else { return text }
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if isBreak(scalar) { out += "\\u{" + String(scalar.value, radix: 16) + "}" } else { out.unicodeScalars.append(scalar) }
            }
        }
        return out
    }
}
