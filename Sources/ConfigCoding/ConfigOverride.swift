import Yams

/// One `--set key.path=value` argument. The value is parsed as YAML (`30`, `adam`, `0.1`, `[0.9, 0.99]`,
/// `{type: dropout, p: 0.2}`, `null`) and replaces or adds the node at the path in the YAML tree before
/// decoding, so an override is checked exactly like the file: a key path that names no key is an
/// unknown key, a wrong value a type or range error, each naming the `--set` argument. Setting the
/// key that picks a mapping's variant (`optimizer.type`) also drops the sibling keys that only the
/// previous variant takes (`ConfigOverridable.variants(at:)`).
struct ConfigOverride {
    let raw: String
    let path: ConfigPath
    let value: YAMLNode

    init(_ raw: String, source: String) throws {
        self.raw = raw
        func fail(_ message: String) -> ConfigError {
            var error = ConfigError(file: source, keyPath: "", message: message)
            error.override = raw
            return error
        }
        guard let equals = raw.firstIndex(of: "=") else {
            throw fail("expected key.path=value")
        }
        let pathText = raw[..<equals].trimmingCharacters(in: .whitespaces)
        let valueText = String(raw[raw.index(after: equals)...])
        guard let path = ConfigPath.parse(pathText) else {
            throw fail("'\(pathText)' is not a key path (write it as in model.layers[3].p)")
        }
        self.path = path
        guard !valueText.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw fail("no value after '=' (write null to clear an optional key)")
        }
        try ConfigNesting.check(valueText, source: source, override: raw)
        do {
            guard let node = try Yams.compose(yaml: valueText) else { throw fail("no value after '='") }
            self.value = node
        } catch let error as YamlError {
            throw fail("the value is not valid YAML: \(ConfigYAMLError.describe(error).problem)")
        }
    }

    /// Returns `root` with the value set at the path; missing mappings on the way are created, list
    /// indices must exist.
    func apply(to root: YAMLNode, source: String, schema: ConfigOverridable.Type) throws -> YAMLNode {
        try set(root, path.components[...], at: .root, source: source, schema: schema)
    }

    private func set(_ node: YAMLNode?, _ components: ArraySlice<ConfigPath.Component>, at prefix: ConfigPath,
                     source: String, schema: ConfigOverridable.Type) throws -> YAMLNode {
        guard let first = components.first else { return value }
        let rest = components.dropFirst()
        func fail(_ path: ConfigPath, _ message: String) -> ConfigError {
            var error = ConfigError(path, message, file: source)
            error.override = raw
            return error
        }
        switch first {
        case .key(let key):
            var pairs: [(YAMLNode, YAMLNode)] = []
            var tag = YAMLTag.implicit, style = YAMLNode.Mapping.Style.any
            var mark: Yams.Mark?
            switch node {
            case nil:
                break
            case .mapping(let mapping)?:
                pairs = mapping.map { ($0.key, $0.value) }
                (tag, style, mark) = (mapping.tag, mapping.style, mapping.mark)
            case let other? where other.isNull:
                break
            case let other? where schema.shorthandKey(at: prefix) != nil:
                // `loss: bce_with_logits` is short for `{type: bce_with_logits}`: `--set loss.pos_weight=3` extends it.
                pairs = [(YAMLNode(schema.shorthandKey(at: prefix)!), other)]
            case let other?:
                throw fail(prefix, "cannot set '\(key)' here: expected a mapping, got \(other.configDescription)")
            }
            if let index = pairs.lastIndex(where: { $0.0.scalar?.string == key }) {
                pairs[index].1 = try set(pairs[index].1, rest, at: prefix.key(key), source: source, schema: schema)
            } else {
                pairs.append((YAMLNode(key), try set(nil, rest, at: prefix.key(key), source: source, schema: schema)))
            }
            // Changing a discriminator (optimizer.type, schedule.type, data.source, a layer's type)
            // drops the keys that only the old variant takes: `--set optimizer.type=adam` on an sgd
            // config drops momentum, dampening and nesterov.
            if rest.isEmpty, case .scalar(let scalar) = value, let family = schema.variants(at: prefix),
               key == family.discriminator, let keep = family.keys(of: scalar.string) {
                let variantKeys = family.variants.flatMap(\.keys)
                pairs.removeAll { pair in
                    guard let name = pair.0.scalar?.string else { return false }
                    return variantKeys.contains(name) && !keep.contains(name)
                }
            }
            return .mapping(YAMLNode.Mapping(pairs, tag, style, mark))
        case .index(let index):
            guard case .sequence(let sequence)? = node else {
                let got = node?.configDescription ?? "nothing"
                throw fail(prefix, "cannot index [\(index)]: expected a list, got \(got)")
            }
            var items = Array(sequence)
            guard index < items.count else {
                throw fail(prefix.index(index),
                           "index out of range: \(prefix) has \(items.count) entr\(items.count == 1 ? "y" : "ies")")
            }
            items[index] = try set(items[index], rest, at: prefix.index(index), source: source, schema: schema)
            return .sequence(YAMLNode.Sequence(items, sequence.tag, sequence.style, sequence.mark))
        }
    }

    /// Whether an error about `subject` is about this override's value: the same key, a key inside
    /// the value, or (for unknown keys) a key this override created on the way.
    func explains(_ subject: ConfigPath) -> Bool {
        subject.hasPrefix(path) || (!subject.isRoot && path.hasPrefix(subject))
    }
}
