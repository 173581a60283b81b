import ArgumentParser
import Datasets

/// Every error the command prints is one line: a path or name given by the user (or read from a file)
/// may hold a line break, and printed as it is it would split the message and pass for a second one.
/// Line breaks and other control characters become escapes (`\n`, `\r`, `\u{1b}`); the rest of the
/// text is unchanged, so messages without them print exactly as before.
enum OneLine {
    static func escaped(_ text: String) -> String { text.escapedToOneLine }

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
