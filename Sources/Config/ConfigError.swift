/// A problem with a run configuration, reported as one line that names the file and the key path:
///
///     clinical.yaml: model.layers[3].p: expected a number in [0, 1), got 1.5
///     clinical.yaml: unknown key 'optimzer' (did you mean 'optimizer'?)
///     clinical.yaml: train.steps: expected a positive integer, got 0 (from --set train.steps=0)
///
/// `keyPath` is empty for problems with the file as a whole (unreadable, not YAML, unknown top-level
/// key). `line` is the 1-based line of the offending node when it is known; it is not part of the
/// description, so that messages stay stable when a file is reformatted.
public struct ConfigError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The file (as given to `RunConfig.load`) or the `source` passed to `RunConfig(yaml:source:)`.
    public var file: String
    /// Where the problem is, e.g. `model.layers[3].p`; empty for the whole file.
    public var keyPath: String
    /// What is wrong, e.g. `expected a number in [0, 1), got 1.5`.
    public var message: String
    /// 1-based line in the file, when known.
    public var line: Int?
    /// The `--set` argument (`key.path=value`) that produced the offending value, if any.
    public var override: String?

    /// The full path of the key the error is about (for an unknown key, the key itself), used to match
    /// errors to `--set` overrides and to look up line numbers.
    var subject: ConfigPath?

    public init(file: String, keyPath: String, message: String, line: Int? = nil, override: String? = nil) {
        self.file = file
        self.keyPath = keyPath
        self.message = message
        self.line = line
        self.override = override
        self.subject = nil
    }

    init(file: String, path: ConfigPath, message: String, subject: ConfigPath? = nil) {
        self.init(file: file, keyPath: path.description, message: message)
        self.subject = subject ?? path
    }

    /// Equal when everything a person sees is equal (the internal subject path takes no part).
    public static func == (lhs: ConfigError, rhs: ConfigError) -> Bool {
        lhs.file == rhs.file && lhs.keyPath == rhs.keyPath && lhs.message == rhs.message && lhs.line == rhs.line
            && lhs.override == rhs.override
    }

    public var description: String {
        var text = file + ": "
        // A message that already starts with its key path ("batch.global 250 is not divisible …")
        // does not repeat it.
        if !keyPath.isEmpty && !message.hasPrefix(keyPath + " ") {
            text += keyPath + ": "
        }
        text += message
        if let override {
            text += " (from --set \(override))"
        }
        return String(text.map { $0.isNewline ? " " : $0 })
    }
}
