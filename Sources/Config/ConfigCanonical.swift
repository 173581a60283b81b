import Yams

/// The canonical form of a configuration: every key in schema order, defaults filled in, keys that do
/// not apply to the chosen variant left out, numbers in shortest round-trip form. It is written as
/// YAML by our own emitter (not Yams'), so that its bytes, and so `configDigest`, depend on this file
/// only. Re-loading `canonicalYAML` gives an equal `RunConfig`.
indirect enum ConfigValue: Encodable {
    case int(Int)
    case uint(UInt64)
    case double(Double)
    case bool(Bool)
    case string(String)
    case null
    case list([ConfigValue])
    case map([(String, ConfigValue)])

    func encode(to encoder: Encoder) throws {
        switch self {
        case .map(let pairs):
            var container = encoder.container(keyedBy: ConfigCodingKey.self)
            for (key, value) in pairs { try container.encode(value, forKey: ConfigCodingKey(key)) }
        case .list(let items):
            var container = encoder.unkeyedContainer()
            for item in items { try container.encode(item) }
        case .int(let value):
            var container = encoder.singleValueContainer()
            try container.encode(value)
        case .uint(let value):
            var container = encoder.singleValueContainer()
            try container.encode(value)
        case .double(let value):
            var container = encoder.singleValueContainer()
            try container.encode(value)
        case .bool(let value):
            var container = encoder.singleValueContainer()
            try container.encode(value)
        case .string(let value):
            var container = encoder.singleValueContainer()
            try container.encode(value)
        case .null:
            var container = encoder.singleValueContainer()
            try container.encodeNil()
        }
    }

    // MARK: YAML emission

    var isCollection: Bool {
        switch self {
        case .list, .map: return true
        default: return false
        }
    }

    /// Flow (inline) form: `64`, `0.001`, `layer1`, `"a b"`, `[0.9, 0.999]`, `{type: relu}`.
    var flow: String {
        switch self {
        case .int(let value): return String(value)
        case .uint(let value): return String(value)
        case .double(let value): return Self.yamlNumber(value)
        case .bool(let value): return value ? "true" : "false"
        case .null: return "null"
        case .string(let value): return Self.yamlString(value)
        case .list(let items): return "[" + items.map(\.flow).joined(separator: ", ") + "]"
        case .map(let pairs): return "{" + pairs.map { "\($0.0): \($0.1.flow)" }.joined(separator: ", ") + "}"
        }
    }

    /// Block form of a mapping: nested mappings indented by two spaces, lists of mappings one
    /// flow mapping per line, everything else inline.
    func blockLines(indent: Int = 0) -> [String] {
        guard case .map(let pairs) = self else { return [String(repeating: " ", count: indent) + flow] }
        let pad = String(repeating: " ", count: indent)
        var lines: [String] = []
        for (key, value) in pairs {
            switch value {
            case .map:
                lines.append("\(pad)\(key):")
                lines += value.blockLines(indent: indent + 2)
            case .list(let items) where !items.isEmpty && items.allSatisfy(\.isCollection):
                lines.append("\(pad)\(key):")
                lines += items.map { "\(pad)  - \($0.flow)" }
            default:
                lines.append("\(pad)\(key): \(value.flow)")
            }
        }
        return lines
    }

    /// Shortest round-trip decimal; an exponent always comes with a fraction (`1.0e-05`) so that YAML
    /// 1.1 readers (PyYAML) also see a float.
    static func yamlNumber(_ value: Double) -> String {
        if value.isNaN { return ".nan" }
        if value.isInfinite { return value < 0 ? "-.inf" : ".inf" }
        var text = value.description
        if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }), !text[..<e].contains(".") {
            text.insert(contentsOf: ".0", at: e)
        }
        return text
    }

    /// Plain when unambiguous (`sgd`, `runs/clinical-mlp`, `configs/data/digits.csv`), else double-quoted.
    static func yamlString(_ value: String) -> String {
        let reserved: Set<String> = ["true", "false", "yes", "no", "on", "off", "null", "y", "n"]
        if let first = value.first, first == "_" || (first.isASCII && first.isLetter),
           value.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "_./-".contains($0)) }),
           !reserved.contains(value.lowercased()) {
            return value
        }
        var text = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": text += "\\\""
            case "\\": text += "\\\\"
            case "\n": text += "\\n"
            case "\t": text += "\\t"
            case "\r": text += "\\r"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    let hex = String(scalar.value, radix: 16, uppercase: true)
                    text += "\\x" + String(repeating: "0", count: 2 - hex.count) + hex
                } else {
                    text.unicodeScalars.append(scalar)
                }
            }
        }
        return text + "\""
    }
}

struct ConfigCodingKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(_ string: String) { stringValue = string }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { return nil }
}

extension RunConfig {
    /// Every key in schema order (`ConfigSchema.root`), defaults filled in, keys that do not apply
    /// to the chosen variant left out.
    var canonicalTree: ConfigValue {
        ConfigSchema.root.emit(self)
    }

    /// The configuration in canonical YAML: every key in schema order with defaults filled in. Write
    /// it next to a run's outputs; loading it gives an equal `RunConfig`.
    public var canonicalYAML: String {
        canonicalTree.blockLines().joined(separator: "\n") + "\n"
    }

    /// FNV-1a 64 of `canonicalYAML`, as 16 lowercase hex digits. Equal configs (however written:
    /// key order, comments, defaults spelled out or not, overrides) have equal digests; any change of
    /// value changes it. `source` takes no part.
    public var configDigest: String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in canonicalYAML.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}

// MARK: - Codable

extension RunConfig: Codable {
    /// Encodes the canonical form (see `canonicalYAML`).
    public func encode(to encoder: Encoder) throws {
        try canonicalTree.encode(to: encoder)
    }

    /// Decodes with the same strict reader and validation as YAML loading; errors are `ConfigError`s
    /// with file `RunConfig`.
    public init(from decoder: Decoder) throws {
        let node = try AnyConfigNode(from: decoder).node
        try self.init(node: node, source: "RunConfig", overrides: [])
    }
}

/// Any decoder's content as a Yams node tree, so that `init(from:)` can reuse the YAML reader.
struct AnyConfigNode: Decodable {
    let node: YAMLNode

    init(from decoder: Decoder) throws {
        if let keyed = try? decoder.container(keyedBy: ConfigCodingKey.self) {
            var pairs: [(YAMLNode, YAMLNode)] = []
            for key in keyed.allKeys.sorted(by: { $0.stringValue < $1.stringValue }) {
                pairs.append((YAMLNode(key.stringValue, YAMLTag(.str)), try keyed.decode(AnyConfigNode.self, forKey: key).node))
            }
            node = YAMLNode(pairs)
        } else if var list = try? decoder.unkeyedContainer() {
            var items: [YAMLNode] = []
            while !list.isAtEnd { items.append(try list.decode(AnyConfigNode.self).node) }
            node = YAMLNode(items)
        } else {
            let single = try decoder.singleValueContainer()
            if single.decodeNil() {
                node = YAMLNode("null", YAMLTag(.null))
            } else if let value = try? single.decode(Bool.self) {
                node = YAMLNode(value ? "true" : "false", YAMLTag(.bool))
            } else if let value = try? single.decode(Int.self) {
                node = YAMLNode(String(value), YAMLTag(.int))
            } else if let value = try? single.decode(UInt64.self) {
                node = YAMLNode(String(value), YAMLTag(.int))
            } else if let value = try? single.decode(Double.self) {
                node = YAMLNode(ConfigValue.yamlNumber(value), YAMLTag(.float))
            } else {
                node = YAMLNode(try single.decode(String.self), YAMLTag(.str))
            }
        }
    }
}
