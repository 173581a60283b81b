/// Writes JSON text the way serde_json's compact formatter does (the reference safetensors writer),
/// so that equal content gives equal bytes. Not `JSONEncoder`: a header lists its tensors in the
/// caller's order, and `JSONEncoder` writes an object's keys sorted or in no set order.
enum JSONWriter {
    /// Appends `string` as a JSON string literal: `"` and `\` escaped, control characters as
    /// `\n`-style escapes or `\u00XX`, everything else (including non-ASCII) as raw UTF-8.
    static func appendString(_ string: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in string.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out += Array("\\\"".utf8)
            case UInt8(ascii: "\\"): out += Array("\\\\".utf8)
            case 0x08: out += Array("\\b".utf8)
            case 0x0C: out += Array("\\f".utf8)
            case 0x0A: out += Array("\\n".utf8)
            case 0x0D: out += Array("\\r".utf8)
            case 0x09: out += Array("\\t".utf8)
            case 0x00..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                out += Array("\\u00".utf8)
                out.append(hex[Int(byte >> 4)])
                out.append(hex[Int(byte & 0xF)])
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    /// Appends a decimal integer.
    static func appendInteger(_ value: Int, to out: inout [UInt8]) {
        out += Array(String(value).utf8)
    }
}
