import Yams

/// The range a key's value must lie in. One case gives both the phrase in the docs' type column
/// (`int > 0`) and the validation message (`expected a positive integer, got 0`).
enum ConfigRange: Sendable {
    /// > 0.
    case positive
    /// ≥ 0.
    case nonNegative
    /// ≥ 2 (integers).
    case atLeastTwo
    /// [0, 1) or, with `closedTop`, [0, 1].
    case unit(closedTop: Bool)
    /// (0, 1) or, with `closedTop`, (0, 1].
    case openUnit(closedTop: Bool)
    /// Any finite number.
    case finite
    /// A non-empty string, described as `what` ("a file path").
    case nonEmpty(String)
    /// Letters, digits and `_`, not starting with a digit (layer names).
    case identifier

    /// The phrase after the type in the docs: `> 0`, `in [0, 1)`.
    var docText: String {
        switch self {
        case .positive: return " > 0"
        case .nonNegative: return " ≥ 0"
        case .atLeastTwo: return " ≥ 2"
        case .unit(let closedTop): return " in [0, 1\(closedTop ? "]" : ")")"
        case .openUnit(let closedTop): return " in (0, 1\(closedTop ? "]" : ")")"
        case .finite, .nonEmpty, .identifier: return ""
        }
    }

    /// The message for an integer outside the range, or nil if it is inside.
    func problem(_ value: Int) -> String? {
        switch self {
        case .positive: return value > 0 ? nil : "expected a positive integer, got \(value)"
        case .nonNegative: return value >= 0 ? nil : "expected a non-negative integer, got \(value)"
        case .atLeastTwo: return value >= 2 ? nil : "expected an integer ≥ 2, got \(value)"
        default: return problem(Double(value))
        }
    }

    /// The message for a number outside the range, or nil if it is inside.
    func problem(_ value: Double) -> String? {
        let ok: Bool
        let expected: String
        switch self {
        case .positive: (ok, expected) = (value > 0 && value.isFinite, "a positive number")
        case .nonNegative: (ok, expected) = (value >= 0 && value.isFinite, "a number ≥ 0")
        case .atLeastTwo: (ok, expected) = (value >= 2 && value.isFinite, "a number ≥ 2")
        case .unit(let closedTop):
            (ok, expected) = (value >= 0 && (closedTop ? value <= 1 : value < 1), "a number in [0, 1\(closedTop ? "]" : ")")")
        case .openUnit(let closedTop):
            (ok, expected) = (value > 0 && (closedTop ? value <= 1 : value < 1), "a number in (0, 1\(closedTop ? "]" : ")")")
        case .finite, .nonEmpty, .identifier: (ok, expected) = (value.isFinite, "a finite number")
        }
        return ok ? nil : "expected \(expected), got \(configNumber(value))"
    }

    /// The message for a string outside the range, or nil if it is inside.
    func problem(_ value: String) -> String? {
        switch self {
        case .nonEmpty(let what): return value.isEmpty ? "expected \(what), got ''" : nil
        case .identifier:
            if let first = value.first, first == "_" || (first.isASCII && first.isLetter),
               value.allSatisfy({ $0 == "_" || ($0.isASCII && ($0.isLetter || $0.isNumber)) }) {
                return nil
            }
            return "expected a name of letters, digits and '_' that does not start with a digit, got '\(value)'"
        default: return nil
        }
    }
}

/// One key of one mapping in the configuration, stated once: its name, type, range, whether it is
/// required, which variants take it, its documentation line, and how it is read from YAML, written
/// in canonical form and range-checked. Defaults are not stated here: a key's default is the value
/// the mapping's `blank` has (the Swift initialiser's default argument), so it too is written once.
struct ConfigField<Root> {
    let key: String
    /// The docs' type column: `int > 0`, `bool`, `` `sgd` \| `adam` ``, `mapping`.
    let typeText: String
    let required: Bool
    /// The variants (of the mapping's discriminator) that take this key; nil for all.
    let variants: [String]?
    /// The docs' meaning column.
    let doc: String
    /// Leave the key out of the canonical form when it is null (a layer's `name`); otherwise a
    /// null optional is written as `null`.
    var omitWhenNull = false
    /// Leave the key out of the canonical form when it holds its default (what the mapping's `blank`
    /// emits for the key). Keys added after configs were shipped use it, so that a config which does
    /// not set them keeps its canonical form and digest.
    var omitWhenDefault = false
    /// The key changes how a run executes (its speed, its memory) but never its bits, so a resumed run
    /// may change it without `--allow-config-change` (`RunConfig.executionOnlyKeys`).
    var executionOnly = false
    let read: (inout Root, YAMLNode, ConfigPath, ConfigDecoder) throws -> Void
    let emit: (Root) -> ConfigValue
    /// Range checks: calls `fail(path, message)` for the first problem (`path` may go deeper, e.g.
    /// `betas[1]`).
    let check: (Root, ConfigPath, ConfigChecker) throws -> Void

    func applies(to variant: String?) -> Bool {
        guard let variants, let variant else { return true }
        return variants.contains(variant)
    }

    /// This field, left out of the canonical form when it holds its default (`omitWhenDefault`), as
    /// in `.bool("save_best", \.saveBest, doc: …).omittedWhenDefault()`.
    func omittedWhenDefault() -> ConfigField {
        var field = self
        field.omitWhenDefault = true
        return field
    }

    /// This field, marked as changing only how a run executes (`executionOnly`).
    func executionOnlyKey() -> ConfigField {
        var field = self
        field.executionOnly = true
        return field
    }
}

/// Where range checks report problems (the config's source file).
struct ConfigChecker {
    let source: String

    func fail(_ path: ConfigPath, _ message: String) -> ConfigError {
        ConfigError(file: source, path: path, message: message)
    }
}

/// The schema of one mapping: its keys in canonical order, and, for mappings whose keys depend on a
/// discriminator (`type`, `source`), the variants.
struct ConfigSection<Root> {
    struct Discriminator {
        /// `type` or `source`.
        let key: String
        /// Every variant name, in documentation order.
        let names: [String]
        /// The variant when the key is absent; nil when the key is required.
        let fallback: String?
        /// How the variant is named in "not used with …" messages: `optimizer.type`, `layer type`.
        let label: String
        /// The variant a value is.
        let variant: (Root) -> String
    }

    let discriminator: Discriminator?
    let fields: [ConfigField<Root>]
    /// The value with every default filled in (for the given variant), required keys still unset.
    let blank: (String?) -> Root

    /// Keys that apply to `variant`, keys common to all variants first (the order of messages).
    func allowedKeys(for variant: String?) -> [String] {
        fields.filter { $0.variants == nil }.map(\.key)
            + fields.filter { $0.variants != nil && $0.applies(to: variant) }.map(\.key)
    }

    /// Every key of every variant.
    var allKeys: [String] {
        var keys: [String] = []
        for field in fields where !keys.contains(field.key) { keys.append(field.key) }
        return keys
    }

    func variant(of value: Root) -> String? { discriminator?.variant(value) }

    // MARK: the three readings of the schema

    func decode(_ node: YAMLNode, at path: ConfigPath, decoder: ConfigDecoder) throws -> Root {
        let map = try ConfigMappingReader(node, at: path, decoder: decoder)
        var variant: String?
        if let discriminator {
            let key = discriminator.key
            if let fallback = discriminator.fallback {
                variant = try map.optional(key) { try decoder.oneOf($0, $1, allowed: discriminator.names) } ?? fallback
            } else {
                variant = try decoder.oneOf(map.required(key), map.path(key), allowed: discriminator.names)
            }
            try map.checkKeys(allowed: allowedKeys(for: variant), known: allKeys,
                              variant: "\(discriminator.label) \(variant!)")
        } else {
            try map.checkKeys(allowed: allKeys)
        }
        var value = blank(variant)
        for field in fields where field.applies(to: variant) && field.key != discriminator?.key {
            if let node = map.value(field.key) {
                try field.read(&value, node, map.path(field.key), decoder)
            } else if field.required {
                throw decoder.error(map.path(field.key), "required key is missing", node: map.node)
            }
        }
        return value
    }

    func emit(_ value: Root) -> ConfigValue {
        let variant = variant(of: value)
        var pairs: [(String, ConfigValue)] = []
        for field in fields where field.applies(to: variant) {
            let emitted = field.emit(value)
            if field.omitWhenNull, case .null = emitted { continue }
            // Compared as canonical text: the key is left out exactly when it would print as its default.
            if field.omitWhenDefault, emitted.flow == field.emit(blank(variant)).flow { continue }
            pairs.append((field.key, emitted))
        }
        return .map(pairs)
    }

    func check(_ value: Root, at path: ConfigPath, _ checker: ConfigChecker) throws {
        let variant = variant(of: value)
        for field in fields where field.applies(to: variant) {
            try field.check(value, path.key(field.key), checker)
        }
    }
}
