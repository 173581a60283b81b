import TensorCore

/// A safetensors header as `JSONDecoder` reads it: `__metadata__` (strings only) and one entry per
/// tensor, each checked on its own (`SafetensorsEntry(name:from:)`). What needs the whole header
/// (key order, duplicate names, the tiling of the data) is `SafetensorsHeader.decode`'s.
///
/// A refusal is thrown as `HeaderProblem`, whose message becomes the `.badHeader` error; anything else
/// `JSONDecoder` throws means the text is not valid JSON.
struct SafetensorsHeaderFields: Decodable {
    var metadata: [String: String] = [:]
    /// The entries by tensor name (the order is the file's, which only the text shows).
    var entries: [String: SafetensorsEntry] = [:]

    init(from decoder: Decoder) throws {
        let members: KeyedDecodingContainer<HeaderKey>
        do {
            members = try decoder.container(keyedBy: HeaderKey.self)
        } catch DecodingError.typeMismatch {
            throw HeaderProblem("header is \(try JSONKind(of: decoder)), expected a JSON object")
        }
        // By name, so that of several faults the same one is reported every time.
        for key in members.allKeys.sorted(by: { $0.stringValue < $1.stringValue }) {
            let value = try members.superDecoder(forKey: key)
            if key.stringValue == SafetensorsHeader.metadataKey {
                metadata = try Self.metadata(from: value)
            } else {
                entries[key.stringValue] = try SafetensorsEntry(name: key.stringValue, from: value)
            }
        }
    }

    private static func metadata(from decoder: Decoder) throws -> [String: String] {
        let pairs: KeyedDecodingContainer<HeaderKey>
        do {
            pairs = try decoder.container(keyedBy: HeaderKey.self)
        } catch DecodingError.typeMismatch {
            throw HeaderProblem("'\(SafetensorsHeader.metadataKey)' is \(try JSONKind(of: decoder)), expected an object of strings")
        }
        var metadata: [String: String] = [:]
        for key in pairs.allKeys.sorted(by: { $0.stringValue < $1.stringValue }) {
            do {
                metadata[key.stringValue] = try pairs.decode(String.self, forKey: key)
            } catch DecodingError.typeMismatch {
                let kind = try JSONKind(of: pairs.superDecoder(forKey: key))
                throw HeaderProblem("metadata \(quoted(key.stringValue)) is \(kind), expected a string")
            }
        }
        return metadata
    }
}

extension SafetensorsEntry {
    /// Reads and checks one tensor's entry: exactly `dtype` (a supported name), `shape` (non-negative
    /// integers) and `data_offsets` (`[begin, end]`, non-negative integers, `begin <= end`), spanning
    /// exactly the bytes the dtype and shape need.
    init(name: String, from decoder: Decoder) throws {
        let tensor = "tensor \(quoted(name))"
        let fields: KeyedDecodingContainer<HeaderKey>
        do {
            fields = try decoder.container(keyedBy: HeaderKey.self)
        } catch DecodingError.typeMismatch {
            throw HeaderProblem("\(tensor): entry is \(try JSONKind(of: decoder)), expected an object with dtype, shape and data_offsets")
        }
        let known = ["dtype", "shape", "data_offsets"]
        if let extra = fields.allKeys.map(\.stringValue).filter({ !known.contains($0) }).min() {
            throw HeaderProblem("\(tensor): unexpected field \(quoted(extra))")
        }
        for field in known where !fields.contains(HeaderKey(field)) {
            throw HeaderProblem("\(tensor): missing '\(field)'")
        }

        let dtypeName: String
        do {
            dtypeName = try fields.decode(String.self, forKey: HeaderKey("dtype"))
        } catch DecodingError.typeMismatch {
            throw HeaderProblem("\(tensor): 'dtype' is \(try JSONKind(of: fields.superDecoder(forKey: HeaderKey("dtype")))), expected a string")
        }
        guard let dtype = DType(safetensorsName: dtypeName) else {
            let supported = DType.allCases.map(\.safetensorsName).joined(separator: ", ")
            throw HeaderProblem("\(tensor) has unsupported dtype \(quoted(dtypeName)) (supported: \(supported))")
        }
        // Any failure here (not an array, not integers, out of Int's range) is the same fault.
        guard let shape = try? fields.decode([Int].self, forKey: HeaderKey("shape")), shape.allSatisfy({ $0 >= 0 }) else {
            throw HeaderProblem(Self.badShape(name))
        }
        guard let bounds = try? fields.decode([Int].self, forKey: HeaderKey("data_offsets")), bounds.count == 2,
              bounds.allSatisfy({ $0 >= 0 }) else {
            throw HeaderProblem(Self.badOffsets(name))
        }
        let (begin, end) = (bounds[0], bounds[1])
        guard begin <= end else {
            throw HeaderProblem("\(tensor): data_offsets [\(begin), \(end)] end before they begin")
        }
        // Element and byte counts, refusing overflow: a corrupt shape must not wrap around to a match.
        var bytes = dtype.byteWidth
        for dim in shape {
            let (product, overflow) = bytes.multipliedReportingOverflow(by: dim)
            guard !overflow else { throw HeaderProblem("\(tensor): shape \(describe(shape: shape)) is too large") }
            bytes = product
        }
        guard bytes == end - begin else {
            throw HeaderProblem("\(tensor) has shape \(describe(shape: shape)) of \(dtype.safetensorsName) (\(bytes) bytes), but data_offsets [\(begin), \(end)] span \(end - begin) bytes")
        }
        self.init(name: name, dtype: dtype, shape: shape, begin: begin, end: end)
    }

    static func badShape(_ name: String) -> String {
        "tensor \(quoted(name)): 'shape' must be an array of non-negative integers"
    }

    static func badOffsets(_ name: String) -> String {
        "tensor \(quoted(name)): 'data_offsets' must be two non-negative integers [begin, end]"
    }
}

/// Why a header that is JSON is not a valid safetensors header; one line.
struct HeaderProblem: Error {
    let message: String
    init(_ message: String) { self.message = message }
}

/// A key of a header object: a tensor name, a metadata key or an entry's field.
struct HeaderKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(_ string: String) { stringValue = string }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

/// What a JSON value is, in the words of a message ("expected a string, found an array"). Asked only
/// after decoding the expected kind failed, so each probe either fits or is a type mismatch; any
/// other error (a malformed string) means the text is not JSON and is passed on.
enum JSONKind: String, CustomStringConvertible {
    case null = "null", boolean = "a boolean", number = "a number", string = "a string"
    case array = "an array", object = "an object"

    var description: String { rawValue }

    init(of decoder: Decoder) throws {
        func fits(_ probe: () throws -> Void) throws -> Bool {
            do { try probe(); return true } catch DecodingError.typeMismatch { return false }
        }
        if try fits({ _ = try decoder.container(keyedBy: HeaderKey.self) }) { self = .object; return }
        if try fits({ _ = try decoder.unkeyedContainer() }) { self = .array; return }
        let value = try decoder.singleValueContainer()
        if value.decodeNil() { self = .null }
        else if try fits({ _ = try value.decode(Bool.self) }) { self = .boolean }
        else if try fits({ _ = try value.decode(String.self) }) { self = .string }
        else { self = .number }
    }
}
