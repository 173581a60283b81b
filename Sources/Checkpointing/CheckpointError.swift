import SystemPackage

/// Why reading, validating or writing a checkpoint failed, as one line that names the file.
///
/// Every failure in this module is a `CheckpointError`, so a trainer can print it as is and a test can
/// match on `kind` without parsing text.
///
/// ```swift
/// do { _ = try SafetensorsArchive(contentsOf: "run/step-00000100.safetensors") }
/// catch let error as CheckpointError where error.kind == .truncated { print(error) }
/// // run/step-00000100.safetensors: truncated: tensor 'fc.weight' ends at data byte 2048, but the data section has 1000 bytes
/// ```
public struct CheckpointError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The broad class of failure, so that callers can react without matching on the message.
    public enum Kind: String, Sendable {
        /// The file ends before its header or data do (an interrupted copy, a full disk).
        case truncated
        /// The header is not what the safetensors format allows.
        case badHeader
        /// The file is well formed, but its content is not what the caller expected.
        case mismatch
        /// A system call failed (open, write, fsync, rename, ...).
        case io
        /// The caller asked for something the format cannot hold (duplicate names, a reserved name).
        case invalidArgument
    }

    public let kind: Kind
    /// The file (or other source) the error is about.
    public let source: String
    /// What went wrong, without the source; a single line.
    public let message: String

    public init(_ kind: Kind, source: String, _ message: String) {
        self.kind = kind
        self.source = source
        self.message = message
    }

    public var description: String { "\(source): \(message)" }
}

extension CheckpointError {
    /// A failed system call as a `.io` error: `"what (call: strerror)"`, e.g. `"cannot open for
    /// reading (open: No such file or directory)"`, so that a full disk or a missing directory reads
    /// as such instead of as a crash or a silent half-write.
    static func io(_ source: String, _ what: String, call: String, _ code: Errno) -> CheckpointError {
        CheckpointError(.io, source: source, "\(what) (\(call): \(code.description))")
    }

    /// Runs `body`, one system call, and rethrows the `Errno` it throws as `io(source, what, call:)`.
    static func io<Result>(_ source: String, _ what: String, call: String, _ body: () throws -> Result) throws -> Result {
        do {
            return try body()
        } catch let code as Errno {
            throw io(source, what, call: call, code)
        }
    }
}

/// `name` in single quotes with control characters escaped, so that a hostile or corrupt name cannot
/// break an error message over several lines.
func quoted(_ name: String) -> String {
    var out = "'"
    for scalar in name.unicodeScalars {
        switch scalar {
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        case "\\": out += "\\\\"
        case "'": out += "\\'"
        default:
            if scalar.value < 0x20 || scalar.value == 0x7F {
                out += "\\u{" + String(scalar.value, radix: 16) + "}"
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
    }
    return out + "'"
}

/// A shape as PyTorch prints it in messages: `[64, 20]`, `[]` for a scalar.
func describe(shape: [Int]) -> String {
    "[" + shape.map(String.init).joined(separator: ", ") + "]"
}
