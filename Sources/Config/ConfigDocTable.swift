/// The key tables of docs/config.md, rendered from `ConfigSchema` so that the documentation cannot
/// drift from the decoder. Each table sits between two marker comments in the markdown:
///
///     <!-- BEGIN config-keys optimizer -->
///     | key | type | default | for | meaning |
///     …
///     <!-- END config-keys -->
///
/// `lockstep config --doc-table` prints every table; `lockstep config --doc-table --write docs/config.md`
/// rewrites the marked regions in place. A test asserts that the committed file equals `update(markdown:)`
/// of itself.
///
/// ```swift
/// let table = try ConfigDocTable.render("train")      // the markdown table of train's keys
/// let fresh = try ConfigDocTable.update(markdown: text) // text with every marked table regenerated
/// ```
public enum ConfigDocTable {
    /// The mappings that have a table, by the name used in the markers.
    public static let sections = ["top", "model", "layer", "data", "batch", "optimizer", "optimizer.lr_scaling",
                                  "schedule", "train", "train.early_stopping", "distributed", "output"]

    /// The markdown table of one mapping's keys.
    public static func render(_ section: String) throws -> String {
        switch section {
        case "top": return table(ConfigSchema.root)
        case "model": return table(ConfigSchema.model)
        case "layer": return table(ConfigSchema.layer)
        case "data": return table(ConfigSchema.data)
        case "batch": return table(ConfigSchema.batch)
        case "optimizer": return table(ConfigSchema.optimizer)
        case "optimizer.lr_scaling": return table(ConfigSchema.lrScaling)
        case "schedule": return table(ConfigSchema.schedule)
        case "train": return table(ConfigSchema.train)
        case "train.early_stopping": return table(ConfigSchema.earlyStopping)
        case "distributed": return table(ConfigSchema.distributed)
        case "output": return table(ConfigSchema.output)
        default: throw ConfigError(file: "docs", keyPath: "", message: "no key table named '\(section)' (tables: \(sections.joined(separator: ", ")))")
        }
    }

    /// Every table, each under its marker line, for `lockstep config --doc-table`.
    public static func renderAll() throws -> String {
        try sections.map { "<!-- BEGIN config-keys \($0) -->\n" + (try render($0)) + "<!-- END config-keys -->\n" }
            .joined(separator: "\n")
    }

    /// `markdown` with the content of every `BEGIN config-keys NAME` … `END config-keys` region
    /// replaced by the generated table. Throws for an unknown name or an unclosed region.
    public static func update(markdown: String) throws -> String {
        var output: [Substring] = []
        var open: String?
        for line in markdown.split(separator: "\n", omittingEmptySubsequences: false) {
            if let name = open {
                if line.hasPrefix("<!-- END config-keys") {
                    output += try render(name).split(separator: "\n", omittingEmptySubsequences: true)
                    output.append(line)
                    open = nil
                }
                continue
            }
            output.append(line)
            if line.hasPrefix("<!-- BEGIN config-keys ") {
                open = String(line.dropFirst("<!-- BEGIN config-keys ".count).prefix { $0 != " " })
            }
        }
        if let open {
            throw ConfigError(file: "docs", keyPath: "", message: "the key table '\(open)' has no END config-keys line")
        }
        return output.joined(separator: "\n")
    }

    // MARK: rendering

    static func table<Root>(_ section: ConfigSection<Root>) -> String {
        let variantColumn = section.discriminator != nil
        var lines = [variantColumn ? "| key | type | default | for | meaning |" : "| key | type | default | meaning |",
                     variantColumn ? "|---|---|---|---|---|" : "|---|---|---|---|"]
        for field in section.fields {
            var cells = ["`\(field.key)`", field.typeText, defaultText(field, in: section)]
            if variantColumn { cells.append(field.variants?.joined(separator: ", ") ?? "all") }
            cells.append(field.doc)
            lines.append("| " + cells.joined(separator: " | ") + " |")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// `*required*`, `` `0` ``, `none`, or per-variant defaults: `` `0.0` (`0.01` for adamw) ``.
    static func defaultText<Root>(_ field: ConfigField<Root>, in section: ConfigSection<Root>) -> String {
        if field.required { return "*required*" }
        if let discriminator = section.discriminator, field.key == discriminator.key {
            return discriminator.fallback.map { "`\($0)`" } ?? "*required*"
        }
        let variants: [String?] = section.discriminator?.names.filter { field.applies(to: $0) } ?? [nil]
        var groups: [(text: String, variants: [String])] = []
        for variant in variants {
            let value = field.emit(section.blank(variant))
            let text: String
            if case .null = value { text = "none" } else { text = "`\(value.flow)`" }
            if let index = groups.firstIndex(where: { $0.text == text }) {
                groups[index].variants += variant.map { [$0] } ?? []
            } else {
                groups.append((text, variant.map { [$0] } ?? []))
            }
        }
        guard let first = groups.first else { return "none" }
        if groups.count == 1 { return first.text }
        let others = groups.dropFirst().map { "\($0.text) for \($0.variants.joined(separator: ", "))" }
        return first.text + " (" + others.joined(separator: "; ") + ")"
    }
}
