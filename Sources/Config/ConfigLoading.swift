import Foundation
import Yams

extension RunConfig {
    /// Reads, decodes and validates the YAML file at `path` (relative paths are relative to the
    /// current directory), after applying `--set key.path=value` overrides in order. Every problem
    /// is a `ConfigError` whose `file` is `path` as given.
    public static func load(path: String, overrides: [String] = []) throws -> RunConfig {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ConfigError(file: path, keyPath: "", message: "no such file")
        }
        guard !isDirectory.boolValue else {
            throw ConfigError(file: path, keyPath: "", message: "is a directory, not a YAML file")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigError(file: path, keyPath: "", message: "cannot read the file")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigError(file: path, keyPath: "", message: "the file is not UTF-8 text")
        }
        return try RunConfig(yaml: text, source: path, overrides: overrides)
    }

    /// Decodes and validates YAML text; `source` names it in error messages (a file name).
    public init(yaml: String, source: String = "config", overrides: [String] = []) throws {
        try ConfigNesting.check(yaml, source: source)
        let root: YAMLNode
        do {
            guard let node = try Yams.compose(yaml: yaml) else {
                throw ConfigError(file: source, keyPath: "", message: "the file is empty")
            }
            root = node
        } catch let error as YamlError {
            let problem = ConfigYAMLError.problem(error)
            let message = if case .duplicatedKeysInMapping = error { problem } else { "invalid YAML: " + problem }
            throw ConfigError(file: source, keyPath: "", message: message, line: ConfigYAMLError.line(error))
        }
        try self.init(node: root, source: source, overrides: overrides)
    }

    /// The `--set` arguments are applied to the node tree, then the tree is decoded and validated.
    init(node: YAMLNode, source: String, overrides: [String]) throws {
        var root = node
        var applied: [ConfigOverride] = []
        for raw in overrides {
            let override = try ConfigOverride(raw, source: source)
            root = try override.apply(to: root, source: source)
            applied.append(override)
        }
        do {
            try root.checkKeys()
            self = try YAMLDecoder().decode(RunConfig.self, from: root, userInfo: [.configTree: root])
            self.source = source
        } catch var error as ConfigError {
            error.file = source
            if let subject = error.subject {
                if let override = applied.last(where: { $0.explains(subject) }) {
                    error.override = override.raw
                    error.line = nil
                } else if error.line == nil {
                    error.line = root.find(subject).line
                }
            }
            throw error
        }
    }
}
