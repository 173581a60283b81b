/// A key path into the configuration tree, written as in the YAML: `model.layers[3].p`.
struct ConfigPath: Hashable, Sendable, CustomStringConvertible {
    enum Component: Hashable, Sendable {
        case key(String)
        case index(Int)
    }

    var components: [Component] = []

    static let root = ConfigPath()

    func key(_ key: String) -> ConfigPath {
        ConfigPath(components: components + [.key(key)])
    }

    func index(_ index: Int) -> ConfigPath {
        ConfigPath(components: components + [.index(index)])
    }

    var isRoot: Bool { components.isEmpty }

    /// The path without its last component (the root stays the root).
    var parent: ConfigPath {
        ConfigPath(components: Array(components.dropLast()))
    }

    func hasPrefix(_ other: ConfigPath) -> Bool {
        components.count >= other.count && Array(components.prefix(other.count)) == other.components
    }

    var count: Int { components.count }

    var description: String {
        var text = ""
        for component in components {
            switch component {
            case .key(let key):
                if !text.isEmpty { text += "." }
                text += key
            case .index(let index):
                text += "[\(index)]"
            }
        }
        return text
    }

    /// Parses `model.layers[3].p`. Keys are letters, digits, `_` and `-`; indices are decimal.
    /// Returns nil for anything else (empty keys, unbalanced brackets, a leading index).
    static func parse(_ text: String) -> ConfigPath? {
        var components: [Component] = []
        let chars = Array(text)
        var i = 0
        func isKeyChar(_ c: Character) -> Bool {
            c == "_" || c == "-" || (c.isASCII && (c.isLetter || c.isNumber))
        }
        guard !chars.isEmpty else { return nil }
        while i < chars.count {
            if chars[i] == "[" {
                guard !components.isEmpty else { return nil }
                var j = i + 1
                var digits = ""
                while j < chars.count, chars[j].isASCII, chars[j].isNumber {
                    digits.append(chars[j])
                    j += 1
                }
                guard !digits.isEmpty, j < chars.count, chars[j] == "]", let index = Int(digits) else {
                    return nil
                }
                components.append(.index(index))
                i = j + 1
            } else {
                if !components.isEmpty {
                    guard chars[i] == "." else { return nil }
                    i += 1
                }
                var key = ""
                while i < chars.count, isKeyChar(chars[i]) {
                    key.append(chars[i])
                    i += 1
                }
                guard !key.isEmpty else { return nil }
                components.append(.key(key))
            }
        }
        return components.isEmpty ? nil : ConfigPath(components: components)
    }
}

/// Edit distance counting an insertion, deletion, substitution or swap of neighbours as one edit
/// (optimal string alignment), for "did you mean" suggestions.
func configEditDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a), b = Array(b)
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var d = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
    for i in 0...a.count { d[i][0] = i }
    for j in 0...b.count { d[0][j] = j }
    for i in 1...a.count {
        for j in 1...b.count {
            let cost = a[i - 1] == b[j - 1] ? 0 : 1
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
            if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
            }
        }
    }
    return d[a.count][b.count]
}

/// The closest candidate to `word`, if it is close enough to be a plausible typo: at most one edit
/// per three characters (and at least one).
func configClosestMatch(to word: String, in candidates: [String]) -> String? {
    let lower = word.lowercased()
    var best: (candidate: String, distance: Int)?
    for candidate in candidates {
        let distance = configEditDistance(lower, candidate.lowercased())
        if best == nil || distance < best!.distance { best = (candidate, distance) }
    }
    guard let best else { return nil }
    let limit = max(1, min(word.count, best.candidate.count) / 3)
    return best.distance <= limit ? best.candidate : nil
}
