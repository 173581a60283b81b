import Foundation

/// Mutations of a JSON file for the run-folder fuzz tests: edits of one value of the parsed tree
/// (hostile numbers, strings with line breaks or names from the file, flipped flags, removed or
/// repeated keys and elements, values of another type) and of the raw bytes (truncation, a flipped,
/// deleted or inserted byte). Seeded, so that a failure replays from its iteration number.
enum JSONMutator {
    /// A step into the tree: an object key or an array index.
    enum Step { case key(String), index(Int) }

    static var numbers: [Any] { [0, -0.0, 1e-45, 1e-38, 1.5e-39, -1, -2.5, 0.5, 1, 3, 9, 400, 3e38, 1e39, 1e300, -1e300,
                                 9007199254740993, 9223372036854775807, -9223372036854775808] }
    static let strings = ["", "0", "1", "F", "M", "A", "Z", "age", "bmi", "sex", "site", "outcome", "notes", "age__missing",
                          "site=A", "numeric", "categorical", "binary", "multiclass", "regression", "median", "error", "ignore",
                          "train", "validation", "a\nb", "x\r", "\u{1}", String(repeating: "w", count: 300),
                          "lockstep-preprocessing-v2", "NaN", "inf", "-0", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"]

    static func mutate(_ original: Data, using random: inout SplitMix64) -> (kind: String, bytes: Data) {
        func pick(_ n: Int) -> Int { Int.random(in: 0..<n, using: &random) }
        var bytes = [UInt8](original)
        switch pick(10) {
        case 0:
            return ("truncation", Data(bytes.prefix(pick(bytes.count))))
        case 1:
            bytes[pick(bytes.count)] ^= UInt8(1 << pick(8))
            return ("bit flip", Data(bytes))
        case 2:
            let fragments = Array("{}[]\",:0-e.9 \\n".utf8)
            if pick(2) == 0 { bytes.remove(at: pick(bytes.count)) } else { bytes.insert(fragments[pick(fragments.count)], at: pick(bytes.count)) }
            return ("byte deleted or inserted", Data(bytes))
        default:
            guard var tree = try? JSONSerialization.jsonObject(with: original, options: [.fragmentsAllowed]) else { return ("unparsed", original) }
            let paths = allPaths(tree, prefix: [])
            let path = paths[pick(paths.count)]
            let current = value(at: path, in: tree)
            let kind: String
            var replacement: Any?
            switch pick(7) {
            case 0:
                kind = "number"
                replacement = numbers[pick(numbers.count)]
            case 1:
                kind = "string"
                replacement = strings[pick(strings.count)]
            case 2:
                kind = "removed"
                replacement = nil
            case 3:
                kind = "flag or null"
                replacement = ([true, false, NSNull()] as [Any])[pick(3)]
            case 4:
                kind = "array edited"
                if var array = current as? [Any], !array.isEmpty {
                    switch pick(3) {
                    case 0: array.append(array[pick(array.count)])
                    case 1: array.remove(at: pick(array.count))
                    default: array.swapAt(pick(array.count), pick(array.count))
                    }
                    replacement = array
                } else {
                    replacement = [current ?? NSNull()]
                }
            case 5:
                kind = "other type"
                replacement = ([[String: Any](), [Any](), "{}", 0] as [Any])[pick(4)]
            default:
                kind = "string from the file"
                let texts = paths.compactMap { value(at: $0, in: tree) as? String }
                replacement = texts.isEmpty ? "" : texts[pick(texts.count)]
            }
            tree = replacing(path, in: tree, with: replacement)
            guard let out = try? JSONSerialization.data(withJSONObject: tree, options: [.sortedKeys, .prettyPrinted, .fragmentsAllowed]) else {
                return ("unwritable", original)
            }
            return (kind, out)
        }
    }

    static func allPaths(_ tree: Any, prefix: [Step]) -> [[Step]] {
        var out: [[Step]] = prefix.isEmpty ? [] : [prefix]
        if let object = tree as? [String: Any] {
            for (key, child) in object.sorted(by: { $0.key < $1.key }) { out += allPaths(child, prefix: prefix + [.key(key)]) }
        } else if let array = tree as? [Any] {
            for (i, child) in array.enumerated() { out += allPaths(child, prefix: prefix + [.index(i)]) }
        }
        return out.isEmpty ? [prefix] : out
    }

    static func value(at path: [Step], in tree: Any) -> Any? {
        var node: Any? = tree
        for step in path {
            switch step {
            case .key(let key): node = (node as? [String: Any])?[key]
            case .index(let i): node = (node as? [Any]).flatMap { i < $0.count ? $0[i] : nil }
            }
        }
        return node
    }

    /// `tree` with the value at `path` replaced, or removed when `replacement` is nil.
    static func replacing(_ path: [Step], in tree: Any, with replacement: Any?) -> Any {
        guard let step = path.first else { return replacement ?? NSNull() }
        let rest = Array(path.dropFirst())
        switch step {
        case .key(let key):
            guard var object = tree as? [String: Any] else { return tree }
            if rest.isEmpty && replacement == nil { object[key] = nil } else if let child = object[key] {
                object[key] = replacing(rest, in: child, with: replacement)
            }
            return object
        case .index(let i):
            guard var array = tree as? [Any], i < array.count else { return tree }
            if rest.isEmpty && replacement == nil { array.remove(at: i) } else { array[i] = replacing(rest, in: array[i], with: replacement) }
            return array
        }
    }
}
