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
    /// The file (as given to `RunConfig.load`) or the `source` passed to `RunConfig(yaml:source:)`;
    /// `RunConfig` for a config decoded from another format (JSON).
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
    /// For a value of the wrong shape, how the value was described ("3", "a list"): a caller that
    /// knows better what was expected rewords the message with `expecting(_:)`.
    var got: String?

    public init(file: String, keyPath: String, message: String, line: Int? = nil, override: String? = nil) {
        self.file = file
        self.keyPath = keyPath
        self.message = message
        self.line = line
        self.override = override
    }

    /// An error at `path` (`subject`: the key it is about, when that is not `path` itself); the file
    /// is filled in by whoever reads the file (`ConfigDocument`), else it names the type decoded.
    public init(_ path: ConfigPath, _ message: String, subject: ConfigPath? = nil, file: String = "RunConfig") {
        self.init(file: file, keyPath: path.description, message: message)
        self.subject = subject ?? path
    }

    /// `expected <expected>, got <got>` at `path`.
    public static func mismatch(_ path: ConfigPath, expected: String, got: String) -> ConfigError {
        var error = ConfigError(path, "expected \(expected), got \(got)")
        error.got = got
        return error
    }

    /// The same wrong-shape error with a more precise expectation ("a list of column names").
    func expecting(_ expected: String) -> ConfigError {
        guard let got else { return self }
        var error = self
        error.message = "expected \(expected), got \(got)"
        return error
    }

    /// Equal when everything a person sees is equal.
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
