import Yams

/// The kinds of key a mapping can hold. Each constructor ties a key name to a stored property, so
/// that reading, writing and checking all go through the same key path.
extension ConfigField {
    static func int(_ key: String, _ property: WritableKeyPath<Root, Int>, required: Bool = false,
                    range: ConfigRange? = nil, for variants: [String]? = nil, doc: String) -> ConfigField {
        ConfigField(key: key, typeText: "int" + (range?.docText ?? ""), required: required, variants: variants, doc: doc,
                    read: { root, node, path, decoder in root[keyPath: property] = try decoder.int(node, path) },
                    emit: { .int($0[keyPath: property]) },
                    check: { root, path, checker in
                        if let problem = range?.problem(root[keyPath: property]) { throw checker.fail(path, problem) }
                    })
    }

    /// A non-negative integer that may use all 64 bits (the seed).
    static func uint64(_ key: String, _ property: WritableKeyPath<Root, UInt64>, doc: String) -> ConfigField {
        ConfigField(key: key, typeText: "int ≥ 0", required: false, variants: nil, doc: doc,
                    read: { root, node, path, decoder in root[keyPath: property] = try decoder.seed(node, path) },
                    emit: { .uint($0[keyPath: property]) },
                    check: { _, _, _ in })
    }

    static func number(_ key: String, _ property: WritableKeyPath<Root, Double>, required: Bool = false,
                       range: ConfigRange = .finite, for variants: [String]? = nil, doc: String) -> ConfigField {
        ConfigField(key: key, typeText: "number" + range.docText, required: required, variants: variants, doc: doc,
                    read: { root, node, path, decoder in root[keyPath: property] = try decoder.double(node, path) },
                    emit: { .double($0[keyPath: property]) },
                    check: { root, path, checker in
                        if let problem = range.problem(root[keyPath: property]) { throw checker.fail(path, problem) }
                    })
    }

    /// A number that may be absent (`null`, the default): no value, no effect.
    static func optionalNumber(_ key: String, _ property: WritableKeyPath<Root, Double?>, range: ConfigRange = .finite,
                               for variants: [String]? = nil, doc: String) -> ConfigField {
        ConfigField(key: key, typeText: "number" + range.docText, required: false, variants: variants, doc: doc,
                    read: { root, node, path, decoder in root[keyPath: property] = try decoder.double(node, path) },
                    emit: { $0[keyPath: property].map(ConfigValue.double) ?? .null },
                    check: { root, path, checker in
                        if let value = root[keyPath: property], let problem = range.problem(value) {
                            throw checker.fail(path, problem)
                        }
                    })
    }

    /// Two numbers written as a list, each in `range` (Adam's betas).
    static func numberPair(_ key: String, _ property: WritableKeyPath<Root, (Double, Double)>, range: ConfigRange,
                           shape: String, for variants: [String]? = nil, doc: String) -> ConfigField {
        ConfigField(key: key, typeText: "`[number, number]`, each" + range.docText, required: false,
                    variants: variants, doc: doc,
                    read: { root, node, path, decoder in
                        guard case .sequence(let items) = node, items.count == 2 else {
                            throw decoder.typeError(path, expected: "a list of two numbers \(shape)", node)
                        }
                        root[keyPath: property] = (try decoder.double(items[0], path.index(0)),
                                                   try decoder.double(items[1], path.index(1)))
                    },
                    emit: { root in .list([.double(root[keyPath: property].0), .double(root[keyPath: property].1)]) },
                    check: { root, path, checker in
                        let pair = root[keyPath: property]
                        for (index, value) in [pair.0, pair.1].enumerated() {
                            if let problem = range.problem(value) { throw checker.fail(path.index(index), problem) }
                        }
                    })
    }

    static func bool(_ key: String, _ property: WritableKeyPath<Root, Bool>, for variants: [String]? = nil,
                     doc: String) -> ConfigField {
        ConfigField(key: key, typeText: "bool", required: false, variants: variants, doc: doc,
                    read: { root, node, path, decoder in root[keyPath: property] = try decoder.bool(node, path) },
                    emit: { .bool($0[keyPath: property]) },
                    check: { _, _, _ in })
    }

    /// A switch with a third, automatic setting: `true`, `false` or `auto` (written back as a bool
    /// when it is one).
    static func switchOrAuto(_ key: String, _ property: WritableKeyPath<Root, OverlapMode>, doc: String) -> ConfigField {
        ConfigField(key: key, typeText: "true, false or auto", required: false, variants: nil, doc: doc,
                    read: { root, node, path, decoder in root[keyPath: property] = try decoder.choice(node, path, as: OverlapMode.self) },
                    emit: {
                        switch $0[keyPath: property] {
                        case .off: .bool(false)
                        case .on: .bool(true)
                        case .auto: .string("auto")
                        }
                    },
                    check: { _, _, _ in })
    }

    static func string(_ key: String, _ property: WritableKeyPath<Root, String>, required: Bool = false,
                       range: ConfigRange? = nil, for variants: [String]? = nil, doc: String) -> ConfigField {
        ConfigField(key: key, typeText: "string", required: required, variants: variants, doc: doc,
                    read: { root, node, path, decoder in root[keyPath: property] = try decoder.string(node, path) },
                    emit: { .string($0[keyPath: property]) },
                    check: { root, path, checker in
                        if let problem = range?.problem(root[keyPath: property]) { throw checker.fail(path, problem) }
                    })
    }

    /// A string that may be absent; left out of the canonical form when it is.
    static func optionalString(_ key: String, _ property: WritableKeyPath<Root, String?>, range: ConfigRange? = nil,
                               for variants: [String]? = nil, doc: String) -> ConfigField {
        var field = ConfigField(key: key, typeText: "string", required: false, variants: variants, doc: doc,
                                read: { root, node, path, decoder in root[keyPath: property] = try decoder.string(node, path) },
                                emit: { $0[keyPath: property].map(ConfigValue.string) ?? .null },
                                check: { root, path, checker in
                                    if let value = root[keyPath: property], let problem = range?.problem(value) {
                                        throw checker.fail(path, problem)
                                    }
                                })
        field.omitWhenNull = true
        return field
    }

    /// One of an enumeration's raw values: `loss: expected one of bce_with_logits, cross_entropy, mse`.
    static func choice<Value: RawRepresentable & CaseIterable>(
        _ key: String, _ property: WritableKeyPath<Root, Value>, required: Bool = false, for variants: [String]? = nil,
        doc: String
    ) -> ConfigField where Value.RawValue == String {
        ConfigField(key: key, typeText: configChoiceText(Value.allCases.map(\.rawValue)), required: required,
                    variants: variants, doc: doc,
                    read: { root, node, path, decoder in root[keyPath: property] = try decoder.choice(node, path, as: Value.self) },
                    emit: { .string($0[keyPath: property].rawValue) },
                    check: { _, _, _ in })
    }

    /// The key that picks a mapping's variant (`type`, `source`). The mapping reads it before the
    /// other keys (see `ConfigSection.decode`); here it is only written and documented.
    static func variant(_ key: String, names: [String], required: Bool, _ get: @escaping (Root) -> String,
                        doc: String) -> ConfigField {
        ConfigField(key: key, typeText: configChoiceText(names), required: required, variants: nil, doc: doc,
                    read: { _, _, _, _ in }, emit: { .string(get($0)) }, check: { _, _, _ in })
    }

    /// A nested mapping with its own schema.
    static func section<Value>(_ key: String, _ property: WritableKeyPath<Root, Value>, _ schema: ConfigSection<Value>,
                               required: Bool = false, doc: String) -> ConfigField {
        ConfigField(key: key, typeText: "mapping", required: required, variants: nil, doc: doc,
                    read: { root, node, path, decoder in
                        root[keyPath: property] = try schema.decode(node, at: path, decoder: decoder)
                    },
                    emit: { schema.emit($0[keyPath: property]) },
                    check: { root, path, checker in try schema.check(root[keyPath: property], at: path, checker) })
    }

    /// A nested mapping that may be absent (`null`, the default). `omittedWhenAbsent` leaves an absent
    /// one out of the canonical form, so that a key added later does not change the digest of configs
    /// that do not use it.
    static func optionalSection<Value>(_ key: String, _ property: WritableKeyPath<Root, Value?>,
                                       _ schema: ConfigSection<Value>, for variants: [String]? = nil,
                                       omittedWhenAbsent: Bool = false, doc: String) -> ConfigField {
        var field = ConfigField(key: key, typeText: "mapping", required: false, variants: variants, doc: doc,
                    read: { root, node, path, decoder in
                        root[keyPath: property] = try schema.decode(node, at: path, decoder: decoder)
                    },
                    emit: { root in root[keyPath: property].map(schema.emit) ?? .null },
                    check: { root, path, checker in
                        if let value = root[keyPath: property] { try schema.check(value, at: path, checker) }
                    })
        field.omitWhenNull = omittedWhenAbsent
        return field
    }

    /// A list of mappings with one schema (the model's layers). `shorthand` reads a scalar entry.
    static func list<Element>(_ key: String, _ property: WritableKeyPath<Root, [Element]>,
                              _ schema: ConfigSection<Element>, typeText: String, required: Bool = false,
                              doc: String) -> ConfigField {
        ConfigField(key: key, typeText: typeText, required: required, variants: nil, doc: doc,
                    read: { root, node, path, decoder in
                        guard case .sequence(let items) = node else {
                            throw decoder.typeError(path, expected: "a \(typeText)", node)
                        }
                        root[keyPath: property] = try items.enumerated().map { index, item in
                            try schema.decodeEntry(item, at: path.index(index), decoder: decoder)
                        }
                    },
                    emit: { root in .list(root[keyPath: property].map(schema.emit)) },
                    check: { root, path, checker in
                        let items = root[keyPath: property]
                        if items.isEmpty { throw checker.fail(path, "expected at least one layer") }
                        for (index, item) in items.enumerated() { try schema.check(item, at: path.index(index), checker) }
                    })
    }
}

extension ConfigSection {
    /// A list entry: a mapping, or a variant name alone (`- relu` is `- {type: relu}`) when the
    /// variant has no required key.
    func decodeEntry(_ node: YAMLNode, at path: ConfigPath, decoder: ConfigDecoder) throws -> Root {
        if case .scalar = node, !ConfigDecoder.isNull(node), let discriminator {
            let variant = try decoder.oneOf(node, path.key(discriminator.key), allowed: discriminator.names)
            let needed = fields.filter { $0.required && $0.variants != nil && $0.applies(to: variant) }.map(\.key)
            if let first = needed.first {
                throw decoder.error(path, "a \(variant) layer needs a mapping with '\(first)', got \(ConfigDecoder.describe(node))",
                                    node: node)
            }
            return try decode(YAMLNode([(YAMLNode(discriminator.key), node)]), at: path, decoder: decoder)
        }
        return try decode(node, at: path, decoder: decoder)
    }
}

/// `` `a` \| `b` \| `c` `` for the docs' type column (the bar escaped for a markdown table).
func configChoiceText(_ names: [String]) -> String {
    names.map { "`\($0)`" }.joined(separator: " \\| ")
}
