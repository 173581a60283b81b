import Foundation

/// What Foundation's `JSONDecoder` does not tell about a text it accepted, read from the bytes: the
/// order of the top-level object's keys (its keyed containers are unordered), a key written twice in
/// one object (it keeps one of the values silently), and numbers written with a sign, fraction or
/// exponent (it decodes `1.0`, `1e3` and `-0` as the integers 1, 1000 and 0). A safetensors header
/// needs all three: tensors keep their file order, two tensors cannot share a name, and shapes and
/// offsets are plain integers, as the reference reader requires.
///
/// The scan tells strings, nesting and number tokens apart and nothing more; it relies on the text
/// being JSON (`JSONDecoder` checks that first). On any other bytes it still returns, never traps,
/// and its findings mean nothing.
struct JSONTextLayout {
    /// The top-level object's keys in file order, as `JSONDecoder` reads them (escapes resolved).
    private(set) var topLevelKeys: [String] = []
    /// The first key found a second time in the same object.
    private(set) var duplicateKey: String?
    /// The object keys leading to the first number that is not a plain run of digits, outermost
    /// first (`["w", "shape"]` for `{"w":{"shape":[1.0]}}`).
    private(set) var keysToNonDigitNumber: [String]?

    /// An open object or array: an object's keys so far, its latest key, whether a key comes next.
    private struct Level {
        var isObject: Bool
        var keys: Set<String> = []
        var key: String?
        var expectsKey: Bool
    }

    init(scanning bytes: [UInt8]) {
        var levels: [Level] = []
        var index = 0
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                let isObject = bytes[index] == UInt8(ascii: "{")
                levels.append(Level(isObject: isObject, expectsKey: isObject))
                index += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                _ = levels.popLast()
                index += 1
            case UInt8(ascii: ","):
                if levels.last?.isObject == true { levels[levels.count - 1].expectsKey = true }
                index += 1
            case UInt8(ascii: "\""):
                let start = index
                index += 1
                while index < bytes.count, bytes[index] != UInt8(ascii: "\"") {
                    index += bytes[index] == UInt8(ascii: "\\") ? 2 : 1   // an escaped quote does not end it
                }
                index = min(index + 1, bytes.count)
                guard let level = levels.last, level.isObject, level.expectsKey else { continue }
                let key = Self.string(bytes[start..<index])
                levels[levels.count - 1].expectsKey = false
                levels[levels.count - 1].key = key
                if !levels[levels.count - 1].keys.insert(key).inserted, duplicateKey == nil { duplicateKey = key }
                if levels.count == 1 { topLevelKeys.append(key) }
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                let start = index
                while index < bytes.count, Self.isNumberByte(bytes[index]) { index += 1 }
                if keysToNonDigitNumber == nil, !bytes[start..<index].allSatisfy(Self.isDigit) {
                    keysToNonDigitNumber = levels.compactMap(\.key)
                }
            default:
                index += 1
            }
        }
    }

    private static func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

    private static func isNumberByte(_ byte: UInt8) -> Bool {
        isDigit(byte) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "+") || byte == UInt8(ascii: ".")
            || byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E")
    }

    /// A quoted string's value. Escapes are resolved by `JSONDecoder` itself, so that a key means here
    /// what it means to the decoder (`"\u0061"` is `"a"`); text without escapes is taken as it is.
    private static func string(_ quoted: ArraySlice<UInt8>) -> String {
        let inner = quoted.dropFirst().dropLast()
        guard inner.contains(UInt8(ascii: "\\")) else { return String(decoding: inner, as: UTF8.self) }
        return (try? JSONDecoder().decode(String.self, from: Data(quoted))) ?? String(decoding: inner, as: UTF8.self)
    }
}
