import Yams

/// Kinds of key added with the CSV options: lists of column names and choices that may be absent.
/// Both absent forms (`null`) are left out of the canonical form, so configs that do not use them keep
/// their digest.
extension ConfigField {
    /// A list of non-empty strings (column names): `exclude: [patient_id, notes]`.
    static func stringList(_ key: String, _ property: WritableKeyPath<Root, [String]>, what: String,
                           for variants: [String]? = nil, doc: String) -> ConfigField {
        ConfigField(key: key, typeText: "list of strings", required: false, variants: variants, doc: doc,
                    read: { root, node, path, decoder in root[keyPath: property] = try decoder.strings(node, path, what: what) },
                    emit: { .list($0[keyPath: property].map(ConfigValue.string)) },
                    check: { root, path, checker in try checkNames(root[keyPath: property], what: what, path, checker) })
    }

    /// A list of strings that may be absent (`null`, the default: no list at all, e.g. every column).
    static func optionalStringList(_ key: String, _ property: WritableKeyPath<Root, [String]?>, what: String,
                                   for variants: [String]? = nil, doc: String) -> ConfigField {
        var field = ConfigField(key: key, typeText: "list of strings", required: false, variants: variants, doc: doc,
                                read: { root, node, path, decoder in
                                    root[keyPath: property] = try decoder.strings(node, path, what: what)
                                },
                                emit: { $0[keyPath: property].map { .list($0.map(ConfigValue.string)) } ?? .null },
                                check: { root, path, checker in
                                    if let names = root[keyPath: property] { try checkNames(names, what: what, path, checker) }
                                })
        field.omitWhenNull = true
        return field
    }

    /// One of an enumeration's raw values, or absent (`null`, the default).
    static func optionalChoice<Value: RawRepresentable & CaseIterable>(
        _ key: String, _ property: WritableKeyPath<Root, Value?>, for variants: [String]? = nil, doc: String
    ) -> ConfigField where Value.RawValue == String {
        var field = ConfigField(key: key, typeText: configChoiceText(Value.allCases.map(\.rawValue)), required: false,
                                variants: variants, doc: doc,
                                read: { root, node, path, decoder in
                                    root[keyPath: property] = try decoder.choice(node, path, as: Value.self)
                                },
                                emit: { $0[keyPath: property].map { .string($0.rawValue) } ?? .null },
                                check: { _, _, _ in })
        field.omitWhenNull = true
        return field
    }

    /// Names must be non-empty and appear once: `data.exclude[1]: duplicate column 'id'`.
    private static func checkNames(_ names: [String], what: String, _ path: ConfigPath, _ checker: ConfigChecker) throws {
        for (index, name) in names.enumerated() {
            if name.isEmpty { throw checker.fail(path.index(index), "expected a \(what), got ''") }
            if names[..<index].contains(name) { throw checker.fail(path.index(index), "duplicate \(what) '\(name)'") }
        }
    }
}

extension ConfigDecoder {
    /// A YAML list of strings; `what` names one entry in messages ("a column name").
    func strings(_ node: YAMLNode, _ path: ConfigPath, what: String) throws -> [String] {
        guard case .sequence(let items) = node else { throw typeError(path, expected: "a list of \(what)s", node) }
        return try items.enumerated().map { index, item in try string(item, path.index(index)) }
    }
}
