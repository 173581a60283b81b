/// A bound on how deeply YAML text may nest, checked before the text reaches Yams: Yams builds its
/// node tree recursively, so 5,000 `[` overflow the stack (a crash, not an error). Configs are
/// shallow (four levels at most), so the bound is far above any real file and far below the stack.
enum ConfigNesting {
    /// Deepest nesting accepted, counted conservatively (see `deepestLevel`).
    static let maxDepth = 64

    /// An upper bound on the nesting depth of `text`, and the 1-based line where it is reached.
    /// Counts open flow collections (`[`, `{`) outside quoted strings and comments, plus, at the start
    /// of each line, the indentation and the `- ` / `? ` markers of compact block collections: every
    /// level of YAML nesting costs at least one of these, so the real depth is never larger.
    static func deepestLevel(_ text: String) -> (depth: Int, line: Int) {
        var flow = 0, deepest = 0, deepestLine = 1, line = 1
        var atLineStart = true, blockLevel = 0
        var inDouble = false, inSingle = false, inComment = false, escaped = false
        var previous: UInt8 = 0x20
        var bytes = text.utf8.makeIterator()
        var pending: UInt8? = nil
        while let byte = pending ?? bytes.next() {
            pending = nil
            defer { previous = byte }
            if byte == 0x0A {   // \n
                line += 1
                atLineStart = true
                blockLevel = 0
                inComment = false
                continue
            }
            if inComment { continue }
            if inDouble {
                if escaped { escaped = false } else if byte == 0x5C { escaped = true } else if byte == 0x22 { inDouble = false }
                continue
            }
            if inSingle {
                if byte == 0x27 { inSingle = false }
                continue
            }
            if atLineStart {
                if byte == 0x20 || byte == 0x09 { blockLevel += 1; continue }
                if byte == 0x2D || byte == 0x3F {   // "-" or "?" followed by a space: a compact entry
                    let next = bytes.next()
                    if next == nil || next == 0x20 || next == 0x0A {
                        blockLevel += 1
                        pending = next
                        continue
                    }
                    pending = next
                }
                atLineStart = false
            }
            switch byte {
            case 0x22: inDouble = true
            case 0x27: if previous == 0x20 || previous == 0x5B || previous == 0x7B || previous == 0x2C || previous == 0x3A { inSingle = true }
            case 0x23: if previous == 0x20 || previous == 0x09 { inComment = true }
            case 0x5B, 0x7B: flow += 1
            case 0x5D, 0x7D: flow = max(0, flow - 1)
            default: break
            }
            let level = flow + blockLevel
            if level > deepest { (deepest, deepestLine) = (level, line) }
        }
        return (max(deepest, blockLevel), deepestLine)
    }

    /// Throws a one-line `ConfigError` when `text` nests deeper than `maxDepth`.
    static func check(_ text: String, source: String, override: String? = nil) throws {
        let (depth, line) = deepestLevel(text)
        guard depth > maxDepth else { return }
        var error = ConfigError(file: source, keyPath: "",
                                message: override == nil
                                    ? "the YAML nests deeper than \(maxDepth) levels (line \(line)); a config needs only a few"
                                    : "the value nests deeper than \(maxDepth) levels; a config needs only a few",
                                line: override == nil ? line : nil)
        error.override = override
        throw error
    }
}
