import ArgumentParser

/// Every error the command prints is one line: a path or name given by the user (or read from a file)
/// may hold a line break, and printed as it is it would split the message and pass for a second one.
/// Line breaks and other control characters become escapes (`\n`, `\r`, `\u{1b}`); the rest of the
/// text is unchanged, so messages without them print exactly as before.
enum OneLine {
    static func escaped(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: needsEscape) else { return text }
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if needsEscape(scalar) { out += "\\u{" + String(scalar.value, radix: 16) + "}" } else { out.unicodeScalars.append(scalar) }
            }
        }
        return out
    }

    /// Control characters and the Unicode line and paragraph separators (which terminals and `lines()`
    /// in most languages treat as line ends).
    private static func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) || scalar.value == 0x2028 || scalar.value == 0x2029
    }

    /// `error` as it should be printed: our errors with their description escaped; ArgumentParser's
    /// own (a parse error's usage text, `--help`, an exit code) as they are, except that a
    /// `ValidationError`'s message, which may quote a path, is escaped too.
    static func printable(_ error: Error) -> Error {
        if let validation = error as? ValidationError {
            let message = escaped(validation.message)
            return message == validation.message ? error : ValidationError(message)
        }
        guard !_typeName(type(of: error)).hasPrefix("ArgumentParser.") else { return error }
        let text = String(describing: error)
        let line = escaped(text)
        return line == text ? error : Escaped(description: line)
    }

    /// An error whose description was escaped (exit status 1, as for any error of ours).
    struct Escaped: Error, CustomStringConvertible {
        let description: String
    }
}
