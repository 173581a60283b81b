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
    static func decode(_ header: [UInt8], dataLength: Int, source: String) throws -> (entries: [SafetensorsEntry], metadata: [String: String]) {
        func bad(_ message: String) -> CheckpointError { CheckpointError(.badHeader, source: source, message) }

        guard String(validating: header, as: UTF8.self) != nil else { throw bad("header is not valid UTF-8") }
        let root: JSONValue
        do {
            root = try JSONParser.parse(header)
        } catch {
            throw bad("header is not valid JSON: \(error.message) at header byte \(error.offset)")
        }
        guard case .object(let members) = root else {
            throw bad("header is \(root.kindName), expected a JSON object")
        }

        var metadata: [String: String] = [:]
        var entries: [SafetensorsEntry] = []
        for (key, value) in members {
            if key == metadataKey {
                guard case .object(let pairs) = value else {
                    throw bad("'\(metadataKey)' is \(value.kindName), expected an object of strings")
                }
                for (metaKey, metaValue) in pairs {
                    guard case .string(let text) = metaValue else {
                        throw bad("metadata \(quoted(metaKey)) is \(metaValue.kindName), expected a string")
                    }
                    metadata[metaKey] = text
                }
            } else {
                entries.append(try decodeEntry(name: key, value, bad: bad))
            }
        }

        // Data order; a stable sort keeps header order among empty tensors sharing an offset.
        entries.sort { ($0.begin, $0.end) < ($1.begin, $1.end) }
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
        return (entries, metadata)
    }

    private static func offsets(_ entry: SafetensorsEntry) -> String { "[\(entry.begin), \(entry.end)]" }

    private static func decodeEntry(name: String, _ value: JSONValue, bad: (String) -> CheckpointError) throws -> SafetensorsEntry {
        let tensor = "tensor \(quoted(name))"
        guard case .object(let fields) = value else {
            throw bad("\(tensor): entry is \(value.kindName), expected an object with dtype, shape and data_offsets")
        }
        var dtypeValue: JSONValue?, shapeValue: JSONValue?, offsetsValue: JSONValue?
        for (key, field) in fields {
            switch key {
            case "dtype": dtypeValue = field
            case "shape": shapeValue = field
            case "data_offsets": offsetsValue = field
            default: throw bad("\(tensor): unexpected field \(quoted(key))")
            }
        }
        guard let dtypeValue else { throw bad("\(tensor): missing 'dtype'") }
        guard let shapeValue else { throw bad("\(tensor): missing 'shape'") }
        guard let offsetsValue else { throw bad("\(tensor): missing 'data_offsets'") }

        guard case .string(let dtypeName) = dtypeValue else {
            throw bad("\(tensor): 'dtype' is \(dtypeValue.kindName), expected a string")
        }
        guard let dtype = DType(safetensorsName: dtypeName) else {
            let supported = DType.allCases.map(\.safetensorsName).joined(separator: ", ")
            throw bad("\(tensor) has unsupported dtype \(quoted(dtypeName)) (supported: \(supported))")
        }
        guard case .array(let dims) = shapeValue, dims.allSatisfy({ $0.nonNegativeInteger != nil }) else {
            throw bad("\(tensor): 'shape' must be an array of non-negative integers")
        }
        let shape = dims.map { $0.nonNegativeInteger! }
        guard case .array(let bounds) = offsetsValue, bounds.count == 2,
              let begin = bounds[0].nonNegativeInteger, let end = bounds[1].nonNegativeInteger else {
            throw bad("\(tensor): 'data_offsets' must be two non-negative integers [begin, end]")
        }
        guard begin <= end else {
            throw bad("\(tensor): data_offsets [\(begin), \(end)] end before they begin")
        }
        // Element and byte counts, refusing overflow: a corrupt shape must not wrap around to a match.
        var bytes = dtype.byteWidth
        for dim in shape {
            let (product, overflow) = bytes.multipliedReportingOverflow(by: dim)
            guard !overflow else { throw bad("\(tensor): shape \(describe(shape: shape)) is too large") }
            bytes = product
        }
        guard bytes == end - begin else {
            throw bad("\(tensor) has shape \(describe(shape: shape)) of \(dtype.safetensorsName) (\(bytes) bytes), but data_offsets [\(begin), \(end)] span \(end - begin) bytes")
        }
        return SafetensorsEntry(name: name, dtype: dtype, shape: shape, begin: begin, end: end)
    }
}
