import Yams
import Datasets

/// Keys whose YAML form is not one stored property: `data.missing` and `data.missing_value` share
/// `DataOptions.Missing` (`.constant(value)`), an early-stopping `metric` also sets the default `mode`,
/// and `loss` is a name or `{type, pos_weight}`.
extension ConfigField where Root == DataConfig {
    /// `data.missing`: `error | mean | median | constant`. `constant` keeps the value `missing_value`
    /// reads after it (keys are read in schema order).
    static func missing(_ key: String, for variants: [String], doc: String) -> ConfigField {
        ConfigField(key: key, typeText: configChoiceText(DataOptions.Missing.names), required: false,
                    variants: variants, doc: doc,
                    read: { root, node, path, decoder in
                        let name = try decoder.oneOf(node, path, allowed: DataOptions.Missing.names)
                        root.options.missing = DataOptions.Missing(name: name, value: 0)!
                    },
                    emit: { .string($0.options.missing.name) },
                    check: { _, _, _ in })
    }

    /// `data.missing_value`: the number `missing: constant` fills in; refused with any other policy,
    /// where it would be silently ignored.
    static func missingValue(_ key: String, for variants: [String], doc: String) -> ConfigField {
        ConfigField(key: key, typeText: "number", required: false, variants: variants, doc: doc,
                    read: { root, node, path, decoder in
                        let value = try decoder.double(node, path)
                        guard case .constant = root.options.missing else {
                            throw decoder.error(path, "only used with data.missing: constant, not \(root.options.missing.name)", node: node)
                        }
                        root.options.missing = .constant(Float(value))
                    },
                    emit: { root in
                        if case .constant(let value) = root.options.missing { return .double(Double(value)) }
                        return .double(0)
                    },
                    check: { root, path, checker in
                        if case .constant(let value) = root.options.missing, !value.isFinite {
                            throw checker.fail(path, "expected a finite number, got \(value)")
                        }
                    })
    }
}

extension ConfigField where Root == EarlyStopping {
    /// `metric`: one of `EarlyStopping.metrics`; sets `mode` to the metric's direction unless the
    /// `mode` key (read after it) says otherwise.
    static func metric(_ key: String, doc: String) -> ConfigField {
        ConfigField(key: key, typeText: configChoiceText(EarlyStopping.metrics), required: false, variants: nil, doc: doc,
                    read: { root, node, path, decoder in
                        root.metric = try decoder.oneOf(node, path, allowed: EarlyStopping.metrics)
                        root.mode = EarlyStopping.defaultMode(for: root.metric)
                    },
                    emit: { .string($0.metric) },
                    check: { root, path, checker in
                        if !EarlyStopping.metrics.contains(root.metric) {
                            throw checker.fail(path, "expected one of \(EarlyStopping.metrics.joined(separator: ", ")), got '\(root.metric)'")
                        }
                    })
    }
}

extension ConfigField where Root == RunConfig {
    /// `loss: bce_with_logits`, or `loss: {type: bce_with_logits, pos_weight: 3}`. Written as the plain
    /// name when there is no `pos_weight`, so configs without it keep their canonical form.
    static func loss(_ key: String, doc: String) -> ConfigField {
        let names = RunConfig.Loss.allCases.map(\.rawValue)
        return ConfigField(
            key: key, typeText: configChoiceText(names) + ", or `{type, pos_weight}`", required: true, variants: nil, doc: doc,
            read: { root, node, path, decoder in
                guard case .mapping = node else {
                    root.loss = try decoder.choice(node, path, as: RunConfig.Loss.self)
                    root.positiveWeight = nil
                    return
                }
                let map = try ConfigMappingReader(node, at: path, decoder: decoder)
                try map.checkKeys(allowed: ["type", "pos_weight"])
                root.loss = try decoder.choice(map.required("type"), map.path("type"), as: RunConfig.Loss.self)
                root.positiveWeight = try map.optional("pos_weight") { try decoder.double($0, $1) }
            },
            emit: { root in
                guard let weight = root.positiveWeight else { return .string(root.loss.rawValue) }
                return .map([("type", .string(root.loss.rawValue)), ("pos_weight", .double(weight))])
            },
            check: { root, path, checker in
                guard let weight = root.positiveWeight else { return }
                if let problem = ConfigRange.positive.problem(weight) { throw checker.fail(path.key("pos_weight"), problem) }
                if root.loss != .bceWithLogits {
                    throw checker.fail(path.key("pos_weight"), "only loss bce_with_logits takes pos_weight, not \(root.loss.rawValue)")
                }
            })
    }
}
