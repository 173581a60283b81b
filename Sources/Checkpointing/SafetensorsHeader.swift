import Foundation
import TensorCore

/// One tensor's line in a safetensors header: where its bytes are in the data section.
struct SafetensorsEntry {
    var name: String
    var dtype: DType
    var shape: [Int]
    /// Byte range in the data section (which starts right after the header).
    var begin: Int
    var end: Int
}

/// The JSON header of a safetensors file: building it deterministically and checking one strictly.
///
/// Layout (as in the reference implementation): `{"__metadata__":{...},"name":{"dtype":"F32",
/// "shape":[2,3],"data_offsets":[0,24]},...}`, compact, padded with spaces to a multiple of 8 bytes
/// so that the data section starts 8-byte aligned.
enum SafetensorsHeader {
    static let metadataKey = "__metadata__"
    /// The reference reader refuses headers above 100 MB; so do we, before allocating anything.
    static let maxLength = 100_000_000

    /// The header bytes, padding included. Entries in the given order; metadata keys sorted by their
    /// UTF-8 bytes, since a dictionary has no order of its own and equal content must give equal bytes.
    static func encode(_ entries: [SafetensorsEntry], metadata: [String: String]) -> [UInt8] {
        var out: [UInt8] = [UInt8(ascii: "{")]
        var first = true
        func separator() {
            if !first { out.append(UInt8(ascii: ",")) }
            first = false
        }
        // The reference writer omits the key when there is no metadata; an empty map reads back the same.
        if !metadata.isEmpty {
            separator()
            JSONWriter.appendString(metadataKey, to: &out)
            out += Array(":{".utf8)
            let keys = metadata.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            for (i, key) in keys.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                JSONWriter.appendString(key, to: &out)
                out.append(UInt8(ascii: ":"))
                JSONWriter.appendString(metadata[key]!, to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
        for entry in entries {
            separator()
            JSONWriter.appendString(entry.name, to: &out)
            out += Array(":{\"dtype\":".utf8)
            JSONWriter.appendString(entry.dtype.safetensorsName, to: &out)
            out += Array(",\"shape\":[".utf8)
            for (i, dim) in entry.shape.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                JSONWriter.appendInteger(dim, to: &out)
            }
            out += Array("],\"data_offsets\":[".utf8)
            JSONWriter.appendInteger(entry.begin, to: &out)
            out.append(UInt8(ascii: ","))
            JSONWriter.appendInteger(entry.end, to: &out)
            out += Array("]}".utf8)
        }
        out.append(UInt8(ascii: "}"))
        out.append(contentsOf: repeatElement(UInt8(ascii: " "), count: (8 - out.count % 8) % 8))
        return out
    }

    /// Parses and checks a header against a data section of `dataLength` bytes. Returns the entries
    /// in data (offset) order and the metadata. Every tensor must be described completely and
    /// consistently, and together the tensors must tile the data section exactly: no overlap, no gap,
    /// nothing past the end, nothing left over.
    ///
    /// `JSONDecoder` reads the JSON; `JSONTextLayout` adds what the decoder does not show: tensor
    /// order, duplicate names (a second tensor of one name would otherwise vanish) and whether shapes
    /// and offsets are written as plain integers.
    static func decode(_ header: [UInt8], dataLength: Int, source: String) throws -> (entries: [SafetensorsEntry], metadata: [String: String]) {
        func bad(_ message: String) -> CheckpointError { CheckpointError(.badHeader, source: source, message) }

        guard String(validating: header, as: UTF8.self) != nil else { throw bad("header is not valid UTF-8") }
        let json = Data(header), decoder = JSONDecoder()
        // The decoder checks the whole text's syntax before it decodes anything, so this checks only
        // that (strings and numbers are checked as they are decoded, below).
        guard (try? decoder.decode(AnyJSON.self, from: json)) != nil else { throw bad("header is not valid JSON") }
        let layout = JSONTextLayout(scanning: header)
        if let name = layout.duplicateKey { throw bad("duplicate key \(quoted(name))") }
        let fields: SafetensorsHeaderFields
        do {
            fields = try decoder.decode(SafetensorsHeaderFields.self, from: json)
        } catch let problem as HeaderProblem {
            throw bad(problem.message)
        } catch {
            throw bad("header is not valid JSON")
        }
        // Past the checks above, the only numbers are shape dimensions and data offsets.
        if let keys = layout.keysToNonDigitNumber {
            let name = keys.first ?? ""
            throw bad(keys.last == "shape" ? SafetensorsEntry.badShape(name) : SafetensorsEntry.badOffsets(name))
        }

        // Data order; among empty tensors sharing an offset, file order.
        let fileOrder = Dictionary(layout.topLevelKeys.enumerated().map { ($1, $0) }, uniquingKeysWith: min)
        let entries = fields.entries.values.sorted {
            ($0.begin, $0.end, fileOrder[$0.name] ?? .max) < ($1.begin, $1.end, fileOrder[$1.name] ?? .max)
        }
        var position = 0
        var previous: SafetensorsEntry?
        for entry in entries {
            if entry.begin < position, let previous {
                throw bad("tensors \(quoted(previous.name)) \(offsets(previous)) and \(quoted(entry.name)) \(offsets(entry)) overlap")
            }
            if entry.begin > position {
                let after = previous.map { "after tensor \(quoted($0.name))" } ?? "at the start of the data"
                throw bad("\(entry.begin - position) unused bytes \(after), before tensor \(quoted(entry.name)) \(offsets(entry))")
            }
            position = entry.end
            previous = entry
        }
        if position > dataLength, let short = entries.first(where: { $0.end > dataLength }) {
            throw CheckpointError(.truncated, source: source,
                "truncated: tensor \(quoted(short.name)) ends at data byte \(short.end), but the data section has \(dataLength) bytes")
        }
        if position < dataLength {
            throw bad("\(dataLength - position) bytes after the last tensor are not described by the header")
        }
        return (entries, fields.metadata)
    }

    private static func offsets(_ entry: SafetensorsEntry) -> String { "[\(entry.begin), \(entry.end)]" }
}

/// Any JSON value, decoded into nothing: decoding it checks the text's syntax and no more.
private struct AnyJSON: Decodable {
    init(from decoder: Decoder) {}
}
