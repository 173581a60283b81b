/// One mapping of a config being decoded, from any `Decoder` (Yams' through `ConfigDocument`, or JSON's):
/// its keys checked against those its type takes (a typo is an error with a suggestion, never
/// ignored), `null` read as absent, and every problem a `ConfigError` naming the key path.
///
/// Each config type's `init(from:)` reads its keys through one of these:
///
///     let map = try ConfigMapping(decoder, keys: ["global", "micro"])
///     self.init(global: try map.required("global"), micro: try map.required("micro"))
public struct ConfigMapping {
    /// Nil for a mapping with no keys at all (`- relu`, a layer written as its type).
    let container: KeyedDecodingContainer<ConfigKey>?
    public let path: ConfigPath
    /// The YAML being decoded, if it is YAML: a type error then shows the value as written.
    let tree: YAMLNode?

    /// The mapping `decoder` holds, its keys checked against `keys` when given (a type whose keys
    /// depend on a variant checks them itself, with `only(_:known:variant:)`).
    public init(_ decoder: Decoder, keys: [String]? = nil) throws {
        path = ConfigPath(decoder.codingPath)
        tree = decoder.userInfo[.configTree] as? YAMLNode
        do {
            container = try decoder.container(keyedBy: ConfigKey.self)
        } catch let error as DecodingError {
            throw ConfigError(error, tree: tree, requested: YAMLNode.Mapping.self)
        }
        if let keys { try only(keys) }
    }

    /// The text of a name written where a mapping may stand (`loss: mse` for `{type: mse}`, `- relu`
    /// for `{type: relu}`); nil for a mapping, a list or null.
    public static func shorthand(_ decoder: Decoder) -> String? {
        guard let single = try? decoder.singleValueContainer(), !single.decodeNil() else { return nil }
        return try? single.decode(String.self)
    }

    /// A mapping without keys at `path`.
    public init(empty path: ConfigPath) {
        (container, self.path, tree) = (nil, path, nil)
    }

    /// Refuses any key not in `allowed`, in file order. A key another variant takes (`known`, e.g.
    /// `momentum` under an adam optimizer) is named as not used with `variant`; any other gets a
    /// suggestion or the list of allowed keys.
    public func only(_ allowed: [String], known: [String] = [], variant: String? = nil) throws {
        for key in container?.allKeys.map(\.stringValue) ?? [] where !allowed.contains(key) {
            if known.contains(key), let variant {
                if try container?.decodeNil(forKey: ConfigKey(key)) == true { continue }   // `momentum: ~` says nothing
                throw ConfigError(path.key(key), "not used with \(variant) (keys: \(allowed.joined(separator: ", ")))")
            }
            let hint = configClosestMatch(to: key, in: allowed).map { "did you mean '\($0)'?" }
                ?? "allowed: \(allowed.joined(separator: ", "))"
            throw ConfigError(path, "unknown key '\(key)' (\(hint))", subject: path.key(key))
        }
    }

    /// The value at `key`, nil when it is absent or null. Numbers must be finite.
    public func optional<T: Decodable>(_ key: String) throws -> T? {
        let value: T?
        do {
            value = try container?.decodeIfPresent(T.self, forKey: ConfigKey(key))
        } catch let error as DecodingError {
            throw ConfigError(error, tree: tree, requested: T.self)
        }
        if let number = value as? Double ?? (value as? Float).map(Double.init), !number.isFinite {
            throw ConfigError.mismatch(path.key(key), expected: "a finite number", got: ConfigValue.yamlNumber(number))
        }
        return value
    }

    public func required<T: Decodable>(_ key: String) throws -> T {
        try optional(key) ?? missing(key)
    }

    /// Throws `<path>.<key>: required key is missing`; `try map.list("layers", of: "layers") ?? map.missing("layers")`.
    public func missing<T>(_ key: String) throws -> T {
        throw ConfigError(path.key(key), "required key is missing")
    }

    /// Replaces `value` (a default) with the one at `key`, if there is one.
    public func read<T: Decodable>(_ key: String, into value: inout T) throws {
        if let given: T = try optional(key) { value = given }
    }

    /// One of an enumeration's names: `optimizer.type: expected one of sgd, adam, adamw, got 'sgdd'
    /// (did you mean 'sgd'?)`.
    public func choice<E: RawRepresentable & CaseIterable>(_ key: String) throws -> E? where E.RawValue == String {
        try choice(key, among: E.allCases.map(\.rawValue)).map { E(rawValue: $0)! }
    }

    /// One of `names`, nil when absent.
    public func choice(_ key: String, among names: [String]) throws -> String? {
        let name: String?
        do {
            name = try optional(key)
        } catch let error as ConfigError where error.subject == path.key(key) {
            throw error.expecting("one of \(names.joined(separator: ", "))")
        }
        return try name.map { try configChoice($0, among: names, at: path.key(key)) }
    }

    /// A list whose entries are `what`s: `data.exclude: expected a list of column names, got 3`.
    public func list<T: Decodable>(_ key: String, of what: String) throws -> [T]? {
        do {
            return try optional(key)
        } catch let error as ConfigError where error.subject == path.key(key) {
            throw error.expecting("a list of \(what)")
        }
    }
}

/// Any key: a mapping key by name, or a list index.
public struct ConfigKey: CodingKey {
    public var stringValue: String
    public var intValue: Int?
    public init(_ string: String) { stringValue = string }
    public init?(stringValue: String) { self.stringValue = stringValue }
    public init?(intValue: Int) { (stringValue, self.intValue) = (String(intValue), intValue) }
}

/// `name` if it is one of `E`'s values: `loss: expected one of bce_with_logits, cross_entropy, mse, got 'hinge'`.
public func configChoice<E: RawRepresentable & CaseIterable>(_ name: String, at path: ConfigPath) throws -> E where E.RawValue == String {
    try E(rawValue: configChoice(name, among: E.allCases.map(\.rawValue), at: path))!
}

/// `name` if it is one of `names`, else the error, with a suggestion for a plausible typo.
public func configChoice(_ name: String, among names: [String], at path: ConfigPath) throws -> String {
    guard names.contains(name) else {
        let hint = configClosestMatch(to: name, in: names).map { " (did you mean '\($0)'?)" } ?? ""
        throw ConfigError(path, "expected one of \(names.joined(separator: ", ")), got '\(name)'\(hint)")
    }
    return name
}
