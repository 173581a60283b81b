/// The canonical form of a configuration: a tree of values whose mappings keep the order their type
/// writes them in, as YAML (`yaml`) and as a digest of that text (`digest`). It is written by this
/// emitter (not Yams'), so that its bytes, and so the digest, depend on this file only.
public indirect enum ConfigValue: Encodable, Equatable, Sendable {
    case int(Int)
    case uint(UInt64)
    case double(Double)
    case bool(Bool)
    case string(String)
    case null
    case list([ConfigValue])
    case map([Pair])

    public struct Pair: Equatable, Sendable {
        public let key: String
        public let value: ConfigValue
    }

    /// The entries of a mapping; a nil value leaves its key out (keys added after configs were
    /// shipped do this at their default, so the shipped configs keep their canonical form).
    public static func pairs(_ entries: KeyValuePairs<String, ConfigValue?>) -> [Pair] {
        entries.compactMap { key, value in value.map { Pair(key: key, value: $0) } }
    }

    public static func map(_ entries: KeyValuePairs<String, ConfigValue?>) -> ConfigValue { .map(pairs(entries)) }

    /// `value`, or nil (left out) when it equals `default`.
    public static func unless<T: Equatable>(_ value: T, is default: T, _ make: (T) -> ConfigValue) -> ConfigValue? {
        value == `default` ? nil : make(value)
    }

    public func encode(to encoder: Encoder) throws {
        switch self {
        case .map(let pairs):
            var container = encoder.container(keyedBy: ConfigKey.self)
            for pair in pairs { try container.encode(pair.value, forKey: ConfigKey(pair.key)) }
        case .list(let items):
            var container = encoder.unkeyedContainer()
            for item in items { try container.encode(item) }
        default:
            var container = encoder.singleValueContainer()
            switch self {
            case .int(let value): try container.encode(value)
            case .uint(let value): try container.encode(value)
            case .double(let value): try container.encode(value)
            case .bool(let value): try container.encode(value)
            case .string(let value): try container.encode(value)
            default: try container.encodeNil()
            }
        }
    }

    // MARK: YAML emission

    /// Flow (inline) form: `64`, `0.001`, `layer1`, `"a b"`, `[0.9, 0.999]`, `{type: relu}`.
    public var flow: String {
        switch self {
        case .int(let value): return String(value)
        case .uint(let value): return String(value)
        case .double(let value): return Self.yamlNumber(value)
        case .bool(let value): return value ? "true" : "false"
        case .null: return "null"
        case .string(let value): return Self.yamlString(value)
        case .list(let items): return "[" + items.map(\.flow).joined(separator: ", ") + "]"
        case .map(let pairs): return "{" + pairs.map { "\($0.key): \($0.value.flow)" }.joined(separator: ", ") + "}"
        }
    }

    /// Block form of a mapping: nested mappings indented by two spaces, lists of mappings one flow
    /// mapping per line, everything else inline.
    func blockLines(indent: String = "") -> [String] {
        guard case .map(let pairs) = self else { return [indent + flow] }
        return pairs.flatMap { pair -> [String] in
            switch pair.value {
            case .map:
                return ["\(indent)\(pair.key):"] + pair.value.blockLines(indent: indent + "  ")
            case .list(let items) where !items.isEmpty && items.allSatisfy(\.isCollection):
                return ["\(indent)\(pair.key):"] + items.map { "\(indent)  - \($0.flow)" }
            default:
                return ["\(indent)\(pair.key): \(pair.value.flow)"]
            }
        }
    }

    private var isCollection: Bool {
        switch self {
        case .list, .map: return true
        default: return false
        }
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
            case _ where scalar.value < 0x20 || scalar.value == 0x7F:
                let hex = String(scalar.value, radix: 16, uppercase: true)
                text += "\\x" + String(repeating: "0", count: 2 - hex.count) + hex
            default:
                text.unicodeScalars.append(scalar)
            }
        }
        return text + "\""
    }
}

extension ConfigValue {
    /// A mapping as YAML in block form, ending in a newline.
    public var yaml: String {
        blockLines().joined(separator: "\n") + "\n"
    }

    /// FNV-1a 64 of `yaml`, as 16 lowercase hex digits.
    public var digest: String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in yaml.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}
