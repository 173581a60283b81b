import Yams

/// A `Decoder` over a Yams node tree, stricter than YAML: an integer is an int node (a quoted `"600"`
/// is a string, `60.5` is not an integer), a number is an int or float node and finite, a boolean a
/// bool node; a mapping's keys are names, appear once, and merge keys (`<<: *anchor`) are expanded.
/// Every mismatch is a `ConfigError` naming the key path: `train.steps: expected an integer, got 'many'`.
/// Which keys a mapping may hold is its type's business (`ConfigMapping`).
struct ConfigNodeDecoder: Decoder {
    let node: YAMLNode
    let codingPath: [CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    init(_ node: YAMLNode, codingPath: [CodingKey] = []) {
        self.node = node
        self.codingPath = codingPath
    }

    var path: ConfigPath { ConfigPath(codingPath) }

    func mismatch(_ expected: String) -> ConfigError {
        .mismatch(path, expected: expected, got: Self.describe(node))
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

    static func isNull(_ node: YAMLNode) -> Bool {
        if case .scalar = node { return node.configTag == .null }
        return false
    }

    func container<Key: CodingKey>(keyedBy _: Key.Type) throws -> KeyedDecodingContainer<Key> {
        KeyedDecodingContainer(Mapping<Key>(decoder: self, entries: try entries()))
    }

    func unkeyedContainer() throws -> UnkeyedDecodingContainer {
        guard case .sequence(let items) = node else { throw mismatch("a list") }
        return Sequence(decoder: self, items: Array(items))
    }

    func singleValueContainer() throws -> SingleValueDecodingContainer { Scalar(decoder: self) }

    /// The mapping's entries in file order, merged ones after the explicit ones (which win).
    func entries() throws -> [(key: String, value: YAMLNode)] {
        guard case .mapping(let mapping) = node else { throw mismatch("a mapping") }
        var entries: [(key: String, value: YAMLNode)] = [], merged: [(key: String, value: YAMLNode)] = []
        for (keyNode, value) in mapping {
            if keyNode.configTag == .merge {
                let sources: [YAMLNode]
                switch value {
                case .mapping: sources = [value]
                case .sequence(let items): sources = Array(items)
                case .scalar: throw ConfigNodeDecoder(value, codingPath: codingPath + [ConfigKey("<<")]).mismatch("a mapping to merge")
                }
                for source in sources {
                    for entry in try ConfigNodeDecoder(source, codingPath: codingPath).entries()
                    where !merged.contains(where: { $0.key == entry.key }) {
                        merged.append(entry)
                    }
                }
                continue
            }
            guard case .scalar(let key) = keyNode, keyNode.configTag != .null else {
                throw ConfigError(path, "expected keys to be names, got \(Self.describe(keyNode))")
            }
            if entries.contains(where: { $0.key == key.string }) {
                var error = ConfigError(path, "duplicate key '\(key.string)'", subject: path.key(key.string))
                error.line = keyNode.mark?.line
                throw error
            }
            entries.append((key.string, value))
        }
        return entries + merged.filter { entry in !entries.contains { $0.key == entry.key } }
    }

    // MARK: scalars

    /// `T` read from this node: a scalar for the types a config holds, else `T`'s own decoding.
    func scalar<T: Decodable>(_: T.Type) throws -> T {
        let expected: String?
        switch T.self {
        case is Bool.Type: expected = "true or false"
        case is Int.Type: expected = "an integer"
        case is UInt64.Type: expected = "a non-negative integer"
        case is Double.Type, is Float.Type: expected = "a number"
        case is String.Type: expected = "a string"
        default: expected = T.self is any Numeric.Type ? "\(T.self)" : nil
        }
        guard let expected else { return try T(from: self) }   // a section, a list, a string enumeration
        guard case .scalar(let scalar) = node else { throw mismatch(expected) }
        let tag = node.configTag
        let value: Any?
        switch T.self {
        case is Bool.Type: value = tag == .bool ? Bool.construct(from: scalar) : nil
        case is Int.Type: value = tag == .int ? Int.construct(from: scalar) : nil
        case is UInt64.Type:
            // Seeds use all 64 bits, beyond Int.
            value = tag == .int ? Int.construct(from: scalar).flatMap(UInt64.init(exactly:))
                ?? UInt64(scalar.string.replacingOccurrences(of: "_", with: "")) : nil
        case is Double.Type, is Float.Type:
            let number = tag == .int ? Int.construct(from: scalar).map(Double.init)
                : tag == .float ? Double.construct(from: scalar) : nil
            if let number, !number.isFinite { throw mismatch("a finite number") }
            value = T.self is Float.Type ? number.map { Float($0) } as Any? : number as Any?
        case is String.Type:
            // Any scalar but null is text: `name: 123` names a layer "123" (and is then refused as a name).
            value = tag == .null ? nil : scalar.string
        default: value = nil
        }
        guard let value = value as? T else { throw mismatch(expected) }
        return value
    }

    private struct Scalar: SingleValueDecodingContainer {
        let decoder: ConfigNodeDecoder
        var codingPath: [CodingKey] { decoder.codingPath }
        func decodeNil() -> Bool { ConfigNodeDecoder.isNull(decoder.node) }
        func decode<T: Decodable>(_ type: T.Type) throws -> T { try decoder.scalar(type) }
    }

    private struct Mapping<Key: CodingKey>: KeyedDecodingContainerProtocol {
        let decoder: ConfigNodeDecoder
        let entries: [(key: String, value: YAMLNode)]
        var codingPath: [CodingKey] { decoder.codingPath }
        var allKeys: [Key] { entries.compactMap { Key(stringValue: $0.key) } }

        func contains(_ key: Key) -> Bool { entries.contains { $0.key == key.stringValue } }

        func child(_ key: CodingKey) throws -> ConfigNodeDecoder {
            guard let entry = entries.first(where: { $0.key == key.stringValue }) else {
                throw ConfigError(decoder.path.key(key.stringValue), "required key is missing")
            }
            return ConfigNodeDecoder(entry.value, codingPath: codingPath + [key])
        }

        func decodeNil(forKey key: Key) throws -> Bool { ConfigNodeDecoder.isNull(try child(key).node) }
        func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T { try child(key).scalar(type) }
        func nestedContainer<N: CodingKey>(keyedBy type: N.Type, forKey key: Key) throws -> KeyedDecodingContainer<N> {
            try child(key).container(keyedBy: type)
        }
        func nestedUnkeyedContainer(forKey key: Key) throws -> UnkeyedDecodingContainer { try child(key).unkeyedContainer() }
        func superDecoder() throws -> Decoder { decoder }
        func superDecoder(forKey key: Key) throws -> Decoder { try child(key) }
    }

    private struct Sequence: UnkeyedDecodingContainer {
        let decoder: ConfigNodeDecoder
        let items: [YAMLNode]
        var currentIndex = 0
        var codingPath: [CodingKey] { decoder.codingPath }
        var count: Int? { items.count }
        var isAtEnd: Bool { currentIndex >= items.count }

        mutating func next() throws -> ConfigNodeDecoder {
            guard !isAtEnd else { throw ConfigError(decoder.path.index(currentIndex), "the list has no more entries") }
            defer { currentIndex += 1 }
            return ConfigNodeDecoder(items[currentIndex], codingPath: codingPath + [ConfigKey(index: currentIndex)])
        }

        mutating func decodeNil() throws -> Bool {
            guard !isAtEnd, ConfigNodeDecoder.isNull(items[currentIndex]) else { return false }
            currentIndex += 1
            return true
        }
        mutating func decode<T: Decodable>(_ type: T.Type) throws -> T { try next().scalar(type) }
        mutating func nestedContainer<N: CodingKey>(keyedBy type: N.Type) throws -> KeyedDecodingContainer<N> {
            try next().container(keyedBy: type)
        }
        mutating func nestedUnkeyedContainer() throws -> UnkeyedDecodingContainer { try next().unkeyedContainer() }
        mutating func superDecoder() throws -> Decoder { try next() }
    }
}

/// Any key: a mapping key by name, or a list index.
struct ConfigKey: CodingKey {
    var stringValue: String
    var intValue: Int?
    init(_ string: String) { stringValue = string }
    init(index: Int) { (stringValue, intValue) = (String(index), index) }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { self.init(index: intValue) }
}

extension YAMLNode {
    /// The resolved tag (`tag:yaml.org,2002:int`, …) of this node.
    var configTag: YAMLTag.Name { YAMLTag.Name(rawValue: tag.description) }
}

// Yams' types under names of their own: the Training module also sees Autograd's `Node`.
typealias YAMLNode = Yams.Node
typealias YAMLTag = Yams.Tag
typealias YAMLMark = Yams.Mark
