import Foundation
import Testing
@testable import Config

/// docs/config.md's key tables are written by hand, one row per key; these tests keep them true to
/// the types: each table lists exactly the keys its section can hold, and each default it states is
/// what the section writes when a config leaves the key out.
@Suite("docs/config.md key tables")
struct ConfigDocsTests {
    struct Row {
        let key: String
        let defaultText: String
        /// The "for" column (the variants that take the key), empty for a table without one.
        let variants: [String]
    }

    /// Each table between `<!-- BEGIN config-keys NAME -->` and `<!-- END config-keys -->`, by name.
    static func tables() throws -> [String: [Row]] {
        let text = try String(contentsOfFile: configRepositoryRoot.appendingPathComponent("docs/config.md").path, encoding: .utf8)
        var tables: [String: [Row]] = [:], open: String?
        for line in text.split(separator: "\n") {
            if line.hasPrefix("<!-- BEGIN config-keys ") {
                open = String(line.dropFirst("<!-- BEGIN config-keys ".count).prefix { $0 != " " })
            } else if line.hasPrefix("<!-- END config-keys") {
                open = nil
            } else if let name = open, line.hasPrefix("| `") {
                // Cells are separated by " | "; a bar inside a cell is written "\|".
                let cells = line.replacingOccurrences(of: "\\|", with: "¦").split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
                let hasFor = cells.count == 5
                tables[name, default: []].append(Row(key: cells[0].trimmingCharacters(in: ["`"]), defaultText: cells[2],
                                                     variants: hasFor && cells[3] != "all" ? cells[3].components(separatedBy: ", ") : []))
            }
        }
        return tables
    }

    /// A config that gives only the required keys.
    static let base = """
        model: {input: 20, layers: [{type: linear, out: 1}]}
        data: {source: synthetic-clinical, samples: 20000}
        loss: bce_with_logits
        batch: {global: 256, micro: 32}
        optimizer: {type: sgd, lr: 0.1}
        train: {steps: 600}
        output: {dir: runs/x}
        """

    static func load(_ overrides: [String]) throws -> RunConfig {
        try RunConfig(yaml: base, source: "base.yaml", overrides: overrides)
    }

    /// Where each table's section sits in the canonical tree, and how to reach a variant of it (or,
    /// for "", the section itself) with only its required keys given.
    static let sections: [String: (path: [String], variant: @Sendable (String) -> [String])] = [
        "top": ([], { _ in [] }),
        "model": (["model"], { _ in [] }),
        "layer": (["model", "layers", "0"], { ["model.layers=[{type: \($0)\($0 == "linear" ? ", out: 1" : "")}, {type: linear, out: 1}]"] }),
        "data": (["data"], { source in
            switch source {
            case "": []
            case "csv": ["data={source: csv, path: d.csv, label: y}"]
            case "packed": ["data={source: packed, path: pack}"]
            case "synthetic-wide": ["data={source: synthetic-wide, samples: 20000, features: 20, classes: 2}"]
            default: ["data={source: \(source), samples: 20000}"]
            }
        }),
        "batch": (["batch"], { _ in [] }),
        "optimizer": (["optimizer"], { $0.isEmpty ? [] : ["optimizer={type: \($0), lr: 0.1}"] }),
        "optimizer.lr_scaling": (["optimizer", "lr_scaling"], { _ in ["optimizer.lr_scaling={reference_batch: 256}"] }),
        "schedule": (["schedule"], { $0.isEmpty ? [] : ["schedule={type: \($0)\($0 == "step" ? ", step_size: 10" : "")}"] }),
        "train": (["train"], { _ in [] }),
        "train.early_stopping": (["train", "early_stopping"], { _ in ["train.eval_every=10", "train.early_stopping={}"] }),
        "distributed": (["distributed"], { _ in ["distributed={}"] }),
        "output": (["output"], { _ in ["output={dir: x}"] }),
    ]

    /// Configs that between them set every key to something other than its default.
    static let everything: [[String]] = [
        ["optimizer={type: adamw, lr: 0.1, betas: [0.8, 0.9], eps: 1e-6, lr_scaling: {reference_batch: 128, rule: sqrt}}",
         "schedule={type: cosine, warmup_steps: 1, min_lr: 0.001}", "loss={type: bce_with_logits, pos_weight: 2}",
         "train={steps: 600, eval_every: 10, log_every: 5, grad_clip_norm: 1, early_stopping: {metric: auc, mode: max, patience: 2, min_delta: 0.1}}",
         "distributed={reduction: deterministic, check_every: 5, network: {gbps: 10}, overlap: true, bucket_mb: 4, first_bucket_mb: 2, shard_optimizer: true}",
         "output={dir: x, checkpoint_every: 5, keep_checkpoints: 2, save_best: true, tensorboard: true}",
         "model.checkpoint_activations=true",
         "model.layers=[{name: a, type: linear, out: 8, bias: false}, {type: batchnorm1d, eps: 0.1, momentum: 0.2, affine: false},"
            + " {type: layernorm, eps: 0.1, elementwise_affine: false}, relu, {type: leaky_relu, negative_slope: 0.1}, gelu, tanh,"
            + " sigmoid, {type: dropout, p: 0.1}, {type: linear, out: 1}]"],
        ["optimizer={type: sgd, lr: 0.1, momentum: 0.5, dampening: 0.1, nesterov: false}", "schedule={type: step, step_size: 10, gamma: 0.5}",
         "data={source: csv, path: d.csv, label: y, validation_fraction: 0.1, shuffle: false, standardize: false, features: [a],"
            + " missing: constant, missing_value: 1, missing_indicators: true, categorical: [a], unknown_category: ignore, task: binary,"
            + " validation_path: v.csv}", "seed=3"],
        ["data={source: synthetic-wide, samples: 20000, features: 20, classes: 2, order: keyed}",
         "optimizer={type: lars, lr: 0.1, momentum: 0.5, nesterov: true, trust_coefficient: 0.01, eps: 0, exclude: none}"],
        ["optimizer={type: lamb, lr: 0.1, betas: [0.8, 0.9], eps: 1e-4, weight_decay: 0.1, exclude: none}"],
        ["data={source: csv, path: d.csv, label: y, exclude: [id]}"],
    ]

    static func section(_ value: ConfigValue, _ path: [String]) -> [ConfigValue.Pair]? {
        var node = value
        for step in path {
            switch node {
            case .map(let pairs): guard let next = pairs.first(where: { $0.key == step })?.value else { return nil }; node = next
            case .list(let items): guard let index = Int(step), index < items.count else { return nil }; node = items[index]
            default: return nil
            }
        }
        if case .map(let pairs) = node { return pairs }
        return nil
    }

    @Test func everyTableListsExactlyTheKeysOfItsSection() throws {
        let tables = try Self.tables()
        #expect(Set(tables.keys) == Set(Self.sections.keys))
        for (name, (path, _)) in Self.sections {
            var keys: Set<String> = []
            for overrides in Self.everything {
                let config = try Self.load(overrides)
                if name == "layer" {
                    for index in config.model.layers.indices {
                        keys.formUnion(Self.section(config.canonical, ["model", "layers", String(index)])?.map(\.key) ?? [])
                    }
                } else {
                    keys.formUnion(Self.section(config.canonical, path)?.map(\.key) ?? [])
                }
            }
            let documented = Set(tables[name]?.map(\.key) ?? [])   // a key two variants take differently may have two rows
            #expect(documented == keys, "table \(name): documented \(documented.sorted()), the section holds \(keys.sorted())")
        }
    }

    /// `` `0.0` (`0.01` for adamw) ``: for the row's first variant, and for each one named, setting the
    /// key to the stated value gives the config that leaves it out.
    @Test func everyDefaultIsTheValueOfALeftOutKey() throws {
        for (name, rows) in try Self.tables() {
            let (path, variant) = Self.sections[name]!
            let prefix = path.map { Int($0) != nil ? "[\($0)]" : "." + $0 }.joined().drop { $0 == "." }
            for row in rows where row.defaultText.hasPrefix("`") {
                let parts = row.defaultText.components(separatedBy: "`")   // "", v, " (", v2, " for a, b; ", v3, " for c)"
                var expected = [(kind: row.variants.first ?? "", value: parts[1])]
                for index in stride(from: 3, to: parts.count - 1, by: 2) {
                    let names = parts[index + 1].components(separatedBy: " for ").last!
                        .trimmingCharacters(in: CharacterSet(charactersIn: " ;)")).components(separatedBy: ", ")
                    expected += names.map { ($0, parts[index]) }
                }
                for (kind, value) in expected {
                    // `missing_value` is read only with `missing: constant`.
                    let overrides = variant(kind) + (row.key == "missing_value" ? ["data.missing=constant"] : [])
                    let setting = (prefix.isEmpty ? "" : prefix + ".") + "\(row.key)=\(value)"
                    let given = try Self.load(overrides + [setting]), left = try Self.load(overrides)
                    #expect(given.canonical == left.canonical, "\(name).\(row.key) for \(kind.isEmpty ? "all" : kind): docs say \(value)")
                }
            }
        }
    }
}
