import Yams

/// Strict decoding of the YAML node tree into `RunConfig`: every mapping is checked against the keys
/// it may hold (so a typo is an error, never silently ignored), every scalar against its type, every
/// enumerated value against its allowed list. Range and cross-field checks live in `validate()`.
///
/// An explicit `null` (`key: ~`, `key:`) means "not given": the default applies, or the key is
/// reported missing if it is required.
struct ConfigDecoder {
    let source: String

    func error(_ path: ConfigPath, _ message: String, node: YAMLNode? = nil, subject: ConfigPath? = nil) -> ConfigError {
        var error = ConfigError(file: source, path: path, message: message, subject: subject)
        error.line = node?.mark?.line
        return error
    }

    // MARK: scalars

    static func isNull(_ node: YAMLNode) -> Bool {
        if case .scalar = node { return node.configTag == .null }
        return false
    }

    /// How a node is shown after "got": `1.5`, `true`, `'hinge'`, `null`, `a mapping`, `a list`.
    static func describe(_ node: YAMLNode) -> String {
        switch node {
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .scalar(let scalar):
            switch node.configTag {
            case .null: return "null"
            case .int, .float, .bool: return scalar.string
            default: return "'\(scalar.string)'"
            }
        }
    }

    func typeError(_ path: ConfigPath, expected: String, _ node: YAMLNode) -> ConfigError {
        error(path, "expected \(expected), got \(Self.describe(node))", node: node)
    }

    func int(_ node: YAMLNode, _ path: ConfigPath) throws -> Int {
        if case .scalar(let scalar) = node, node.configTag == .int, let value = Int.construct(from: scalar) {
            return value
        }
        throw typeError(path, expected: "an integer", node)
    }

    func double(_ node: YAMLNode, _ path: ConfigPath) throws -> Double {
        if case .scalar(let scalar) = node {
            switch node.configTag {
            case .int:
                if let value = Int.construct(from: scalar) { return Double(value) }
            case .float:
                if let value = Double.construct(from: scalar) {
                    guard value.isFinite else { throw typeError(path, expected: "a finite number", node) }
                    return value
                }
            default:
                break
            }
        }
        throw typeError(path, expected: "a number", node)
    }

    func bool(_ node: YAMLNode, _ path: ConfigPath) throws -> Bool {
        if case .scalar(let scalar) = node, node.configTag == .bool, let value = Bool.construct(from: scalar) {
            return value
        }
        throw typeError(path, expected: "true or false", node)
    }

    func string(_ node: YAMLNode, _ path: ConfigPath) throws -> String {
        if case .scalar(let scalar) = node, node.configTag != .null {
            return scalar.string
        }
        throw typeError(path, expected: "a string", node)
    }

    func choice<E: RawRepresentable & CaseIterable>(_ node: YAMLNode, _ path: ConfigPath, as _: E.Type) throws -> E
    where E.RawValue == String {
        let allowed = E.allCases.map(\.rawValue)
        let text = try oneOf(node, path, allowed: allowed)
        return E(rawValue: text)!
    }

    /// A string that must be one of `allowed`:
    /// `loss: expected one of bce_with_logits, cross_entropy, mse, got 'hinge'`.
    func oneOf(_ node: YAMLNode, _ path: ConfigPath, allowed: [String]) throws -> String {
        let list = allowed.joined(separator: ", ")
        guard case .scalar(let scalar) = node, node.configTag != .null else {
            throw typeError(path, expected: "one of \(list)", node)
        }
        if allowed.contains(scalar.string) { return scalar.string }
        var message = "expected one of \(list), got \(Self.describe(node))"
        if let guess = configClosestMatch(to: scalar.string, in: allowed) {
            message += " (did you mean '\(guess)'?)"
        }
        throw error(path, message, node: node)
    }

    func seed(_ node: YAMLNode, _ path: ConfigPath) throws -> UInt64 {
        if case .scalar(let scalar) = node, node.configTag == .int {
            if let value = Int.construct(from: scalar) {
                if value >= 0 { return UInt64(value) }
            } else if let value = UInt64(scalar.string.replacingOccurrences(of: "_", with: "")) {
                return value
            }
        }
        throw typeError(path, expected: "a non-negative integer", node)
    }

    // MARK: the tree

    /// The whole configuration, read through `ConfigSchema.root`.
    func decodeRoot(_ root: YAMLNode) throws -> RunConfig {
        var config = try ConfigSchema.root.decode(root, at: .root, decoder: self)
        config.source = source
        return config
    }
}

/// One YAML mapping being decoded: string keys, no duplicates, merge keys (`<<: *anchor`) expanded.
struct ConfigMappingReader {
    let decoder: ConfigDecoder
    let base: ConfigPath
    let node: YAMLNode
    private(set) var entries: [(key: String, value: YAMLNode, keyNode: YAMLNode)] = []

    init(_ node: YAMLNode, at path: ConfigPath, decoder: ConfigDecoder) throws {
        self.decoder = decoder
        self.base = path
        self.node = node
        guard case .mapping(let mapping) = node else {
            throw decoder.typeError(path, expected: "a mapping", node)
        }
        var merged: [(key: String, value: YAMLNode, keyNode: YAMLNode)] = []
        for (keyNode, value) in mapping {
            if case .scalar = keyNode, keyNode.configTag == .merge {
                let sources: [YAMLNode]
                switch value {
                case .mapping: sources = [value]
                case .sequence(let items): sources = Array(items)
                case .scalar: throw decoder.typeError(path.key("<<"), expected: "a mapping to merge", value)
                }
                for source in sources {
                    let inner = try ConfigMappingReader(source, at: path, decoder: decoder)
                    for entry in inner.entries where !merged.contains(where: { $0.key == entry.key }) {
                        merged.append(entry)
                    }
                }
                continue
            }
            guard case .scalar(let key) = keyNode, keyNode.configTag != .null else {
                throw decoder.error(path, "expected keys to be names, got \(ConfigDecoder.describe(keyNode))",
                                    node: keyNode)
            }
            if entries.contains(where: { $0.key == key.string }) {
                throw decoder.error(path, "duplicate key '\(key.string)'", node: keyNode,
                                    subject: path.key(key.string))
            }
            entries.append((key.string, value, keyNode))
        }
        // Keys given explicitly win over merged ones.
        for entry in merged where !entries.contains(where: { $0.key == entry.key }) {
            entries.append(entry)
        }
    }

    func path(_ key: String) -> ConfigPath { base.key(key) }

    /// Rejects any key not in `allowed`. A key that is valid elsewhere in this mapping's family
    /// (`known`, e.g. `momentum` under an adam optimizer) is reported as not applying to `variant`.
    func checkKeys(allowed: [String], known: [String] = [], variant: String? = nil) throws {
        for entry in entries where !allowed.contains(entry.key) {
            if known.contains(entry.key), let variant {
                if ConfigDecoder.isNull(entry.value) { continue }
                throw decoder.error(path(entry.key), "not used with \(variant) (keys: \(allowed.joined(separator: ", ")))",
                                    node: entry.keyNode)
            }
            var message = "unknown key '\(entry.key)'"
            if let guess = configClosestMatch(to: entry.key, in: allowed) {
                message += " (did you mean '\(guess)'?)"
            } else {
                message += " (allowed: \(allowed.joined(separator: ", ")))"
            }
            throw decoder.error(base, message, node: entry.keyNode, subject: path(entry.key))
        }
    }

    /// The value of `key`, or nil if absent or null.
    func value(_ key: String) -> YAMLNode? {
        guard let entry = entries.first(where: { $0.key == key }), !ConfigDecoder.isNull(entry.value) else {
            return nil
        }
        return entry.value
    }

    func required(_ key: String) throws -> YAMLNode {
        if let value = value(key) { return value }
        throw decoder.error(path(key), "required key is missing", node: node)
    }

    func optional<T>(_ key: String, _ read: (YAMLNode, ConfigPath) throws -> T) throws -> T? {
        guard let value = value(key) else { return nil }
        return try read(value, path(key))
    }
}

extension YAMLNode {
    /// The resolved tag (`tag:yaml.org,2002:int`, …) of this node.
    var configTag: YAMLTag.Name { YAMLTag.Name(rawValue: tag.description) }
}

/// The keys of a mapping whose keys depend on a discriminator, without the mapping's value type:
/// what `--set` needs to drop the old variant's keys when it changes `optimizer.type` and the like.
struct ConfigFamily {
    /// The key that picks the variant: `type` or `source`.
    let discriminator: String
    let variants: [String]
    let keys: (String) -> [String]
    let allKeys: [String]

    init?<Root>(_ section: ConfigSection<Root>) {
        guard let discriminator = section.discriminator else { return nil }
        self.discriminator = discriminator.key
        self.variants = discriminator.names
        self.keys = { section.allowedKeys(for: $0) }
        self.allKeys = section.allKeys
    }

    /// The family of the mapping at `path`, if its keys depend on a discriminator.
    static func at(_ path: ConfigPath) -> ConfigFamily? {
        switch path.components {
        case [.key("data")]: return ConfigFamily(ConfigSchema.data)
        case [.key("optimizer")]: return ConfigFamily(ConfigSchema.optimizer)
        case [.key("schedule")]: return ConfigFamily(ConfigSchema.schedule)
        case let components where components.count == 3 && components[0] == .key("model")
            && components[1] == .key("layers"):
            if case .index = components[2] { return ConfigFamily(ConfigSchema.layer) }
            return nil
        default: return nil
        }
    }
}

// Yams' types under names of their own: the Training module also sees Autograd's `Node`.
typealias YAMLNode = Yams.Node
typealias YAMLTag = Yams.Tag
typealias YAMLMark = Yams.Mark
