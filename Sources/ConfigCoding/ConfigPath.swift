/// A key path into the configuration tree, written as in the YAML: `model.layers[3].p`.
public struct ConfigPath: Hashable, Sendable, CustomStringConvertible {
    public enum Component: Hashable, Sendable {
        case key(String)
        case index(Int)
    }

    public var components: [Component] = []

    public static let root = ConfigPath()

    /// A decoder's coding path: integer keys are list indices.
    public init(_ codingPath: [CodingKey]) {
        components = codingPath.map { key in key.intValue.map(Component.index) ?? .key(key.stringValue) }
    }

    public init(components: [Component] = []) {
        self.components = components
    }

    public func key(_ key: String) -> ConfigPath { ConfigPath(components: components + [.key(key)]) }

    public func index(_ index: Int) -> ConfigPath { ConfigPath(components: components + [.index(index)]) }

    var isRoot: Bool { components.isEmpty }

    func hasPrefix(_ other: ConfigPath) -> Bool {
        components.starts(with: other.components)
    }

    public var description: String {
        var text = ""
        for component in components {
            switch component {
            case .key(let key): text += (text.isEmpty ? "" : ".") + key
            case .index(let index): text += "[\(index)]"
            }
        }
        return text
    }

    /// Parses `model.layers[3].p`. Keys are letters, digits, `_` and `-`; indices are decimal.
    /// Returns nil for anything else (empty keys, unbalanced brackets, a leading index).
    static func parse(_ text: String) -> ConfigPath? {
        var components: [Component] = []
        var rest = Substring(text)
        func isKeyCharacter(_ c: Character) -> Bool { c == "_" || c == "-" || (c.isASCII && (c.isLetter || c.isNumber)) }
        while !rest.isEmpty {
            if rest.first == "[" {
                let digits = rest.dropFirst().prefix { $0.isASCII && $0.isNumber }
                guard !components.isEmpty, !digits.isEmpty, let index = Int(digits),
                      rest.dropFirst(1 + digits.count).first == "]" else { return nil }
                components.append(.index(index))
                rest = rest.dropFirst(2 + digits.count)
            } else {
                if !components.isEmpty {
                    guard rest.first == "." else { return nil }
                    rest = rest.dropFirst()
                }
                let key = rest.prefix(while: isKeyCharacter)
                guard !key.isEmpty else { return nil }
                components.append(.key(String(key)))
                rest = rest.dropFirst(key.count)
            }
        }
        return components.isEmpty ? nil : ConfigPath(components: components)
    }
}

/// The candidate closest to `word` when it is a plausible typo of it — at most one edit per three
/// characters (and at least one), counting an insertion, deletion, substitution or swap of
/// neighbours as one edit (optimal string alignment) — for "did you mean" suggestions.
func configClosestMatch(to word: String, in candidates: [String]) -> String? {
    func distance(_ a: [Character], _ b: [Character]) -> Int {
        var d = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 0...a.count { d[i][0] = i }
        for j in 0...b.count { d[0][j] = j }
        for i in stride(from: 1, through: a.count, by: 1) {
            for j in stride(from: 1, through: b.count, by: 1) {
                d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] { d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1) }
            }
        }
        return d[a.count][b.count]
    }
    let lower = Array(word.lowercased())
    guard let best = candidates.map({ ($0, distance(lower, Array($0.lowercased()))) }).min(by: { $0.1 < $1.1 }) else {
        return nil
    }
    return best.1 <= max(1, min(word.count, best.0.count) / 3) ? best.0 : nil
}
