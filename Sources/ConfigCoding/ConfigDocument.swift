import Foundation
import Yams

/// What `--set` needs to know of a config type beyond the keys its values read.
public protocol ConfigOverridable {
    /// The mapping at `path`, if its keys depend on a variant (`optimizer.type`): setting the key that
    /// picks the variant drops the keys only the previous variant takes.
    static func variants(at path: ConfigPath) -> ConfigVariants?
    /// The key a scalar at `path` is short for (`loss: mse` is `{type: mse}`), so that `--set` can add
    /// a key beside it (`loss.pos_weight=3`).
    static func shorthandKey(at path: ConfigPath) -> String?
}

/// The variants of one mapping: the key that picks them, and each one's keys after the shared ones.
public struct ConfigVariants {
    public let discriminator: String
    public let shared: [String]
    public let variants: [(name: String, keys: [String])]

    public init(_ discriminator: String, shared: [String], _ variants: [(name: String, keys: [String])]) {
        (self.discriminator, self.shared, self.variants) = (discriminator, shared, variants)
    }

    /// The keys `variant` takes, shared ones first; nil for an unknown variant.
    public func keys(of variant: String) -> [String]? {
        variants.first { $0.name == variant }.map { shared + $0.keys }
    }
}

/// YAML text, or a file of it, read into a config type: nesting bounded before parsing, `--set`
/// overrides applied to the tree, keys that are not names refused, then the type's own strict
/// `init(from:)` through Yams' decoder. Every problem is a `ConfigError` naming the file, with the
/// line of the offending key or the `--set` argument that supplied it.
///
/// ```swift
/// let config = try ConfigDocument.decode(RunConfig.self, yaml: text, source: "run.yaml", overrides: ["train.steps=30"])
/// ```
public enum ConfigDocument {
    /// The text of the YAML file at `path`, or one line saying why there is none.
    public static func text(ofFile path: String) throws -> String {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ConfigError(file: path, keyPath: "", message: "no such file")
        }
        guard !isDirectory.boolValue else { throw ConfigError(file: path, keyPath: "", message: "is a directory, not a YAML file") }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigError(file: path, keyPath: "", message: "cannot read the file")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigError(file: path, keyPath: "", message: "the file is not UTF-8 text")
        }
        return text
    }

    public static func decode<T: Decodable & ConfigOverridable>(_ type: T.Type, yaml: String, source: String,
                                                                 overrides: [String] = []) throws -> T {
        try ConfigNesting.check(yaml, source: source)
        var root: YAMLNode
        do {
            guard let node = try Yams.compose(yaml: yaml) else { throw ConfigError(file: source, keyPath: "", message: "the file is empty") }
            root = node
        } catch let error as YamlError {
            let (problem, line) = ConfigYAMLError.describe(error)
            let message = if case .duplicatedKeysInMapping = error { problem } else { "invalid YAML: " + problem }
            throw ConfigError(file: source, keyPath: "", message: message, line: line)
        }
        var applied: [ConfigOverride] = []
        for raw in overrides {
            let override = try ConfigOverride(raw, source: source)
            root = try override.apply(to: root, source: source, schema: T.self)
            applied.append(override)
        }
        do {
            try root.checkKeys()
            return try YAMLDecoder().decode(T.self, from: root, userInfo: [.configTree: root])
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
