import TensorCore

// Tensor bytes are copied as they lie in memory; safetensors stores little-endian data, so that copy is
// only right on a little-endian host (every platform Lockstep targets). Refuse to build otherwise.
#if _endian(big)
#error("Checkpointing assumes a little-endian host: safetensors data is little-endian and is copied as is")
#endif

/// Named tensors and string metadata in the safetensors format (what `safetensors.torch.save_file`
/// writes and `safetensors.numpy.load_file` reads): an 8-byte little-endian header length, a JSON
/// header, then the tensors' raw little-endian bytes back to back.
///
/// Tensors are written in the order given, and read back in file order with their names; equal
/// content always encodes to equal bytes.
///
/// ```swift
/// let archive = SafetensorsArchive(
///     tensors: [("fc.weight", weight), ("fc.bias", bias)],
///     metadata: ["step": "100"])
/// try archive.write(to: "run/step-00000100.safetensors")          // atomic
/// let back = try SafetensorsArchive(contentsOf: "run/step-00000100.safetensors")
/// back["fc.bias"]?.shape                                            // [10]
/// ```
public struct SafetensorsArchive {
    /// The tensors, in file order. Names must be unique and not `__metadata__`.
    public var tensors: [(name: String, tensor: Tensor)]
    /// The header's `__metadata__`: free-form strings (run state such as step and seed).
    public var metadata: [String: String]

    public init(tensors: [(name: String, tensor: Tensor)] = [], metadata: [String: String] = [:]) {
        self.tensors = tensors
        self.metadata = metadata
    }

    /// The tensor names, in file order.
    public var names: [String] { tensors.map(\.name) }

    /// The tensor called `name`, if any.
    public subscript(name: String) -> Tensor? {
        tensors.first { $0.name == name }?.tensor
    }

    // MARK: Encoding

    /// The complete file content. Throws `.invalidArgument` for a duplicate or reserved tensor name.
    public func encoded() throws -> [UInt8] {
        try encoded(source: "safetensors archive")
    }

    func encoded(source: String) throws -> [UInt8] {
        var seen = Set<String>()
        var entries: [SafetensorsEntry] = []
        var position = 0
        for (name, tensor) in tensors {
            guard name != SafetensorsHeader.metadataKey else {
                throw CheckpointError(.invalidArgument, source: source, "tensor name '\(SafetensorsHeader.metadataKey)' is reserved for metadata")
            }
            guard seen.insert(name).inserted else {
                throw CheckpointError(.invalidArgument, source: source, "two tensors are named \(quoted(name))")
            }
            entries.append(SafetensorsEntry(name: name, dtype: tensor.dtype, shape: tensor.shape,
                                            begin: position, end: position + tensor.byteCount))
            position += tensor.byteCount
        }
        let header = SafetensorsHeader.encode(entries, metadata: metadata)
        var out: [UInt8] = []
        out.reserveCapacity(8 + header.count + position)
        let length = UInt64(header.count)
        for shift in stride(from: 0, to: 64, by: 8) { out.append(UInt8(truncatingIfNeeded: length >> UInt64(shift))) }
        out += header
        for (_, tensor) in tensors {
            out.append(contentsOf: UnsafeRawBufferPointer(start: tensor.rawPointer, count: tensor.byteCount))
        }
        return out
    }

    /// Writes the archive to `path` atomically (see `AtomicFile`): a reader sees the old file or the
    /// complete new one, never part of it.
    public func write(to path: String) throws {
        try AtomicFile.write(try encoded(source: path), to: path)
    }

    // MARK: Decoding

    /// Parses and checks a whole file's content; `source` names it in errors. Throws `.truncated` when
    /// the bytes end early and `.badHeader` when the header is not valid safetensors (see
    /// `CheckpointError`). Each tensor gets its own freshly allocated storage.
    public init(bytes: [UInt8], source: String = "safetensors data") throws {
        self = try bytes.withUnsafeBytes { file in
            try Self.decode(size: file.count, source: source) { offset, destination in
                // decode(size:) asks only for ranges it has checked against `size`.
                guard destination.count > 0 else { return }
                destination.copyMemory(from: UnsafeRawBufferPointer(rebasing: file[offset..<(offset + destination.count)]))
            }
        }
    }

    /// Reads and checks the regular file at `path` (see `init(bytes:source:)`); errors name `path`.
    /// Only a regular file is read (`RegularFile`). The header's sizes are checked against the file's real size before anything large is read or
    /// allocated, and tensor bytes are read straight into their storage (no whole-file copy).
    public init(contentsOf path: String) throws {
        let file = try RegularFile(path: path)
        defer { file.close() }
        self = try Self.decode(size: file.size, source: path) { offset, destination in
            try file.read(into: destination, at: offset)
        }
    }

    /// Decodes a safetensors file of `size` bytes, asking `read(offset, destination)` to fill
    /// `destination` with the bytes at `offset`. Every range asked for lies inside `size`, and the
    /// header has been checked to describe exactly `size` bytes before any tensor is allocated, so a
    /// corrupt length or offset can neither read past the end nor allocate more than the file holds.
    static func decode(size: Int, source: String, read: (Int, UnsafeMutableRawBufferPointer) throws -> Void) throws -> SafetensorsArchive {
        guard size >= 8 else {
            throw CheckpointError(.truncated, source: source,
                "truncated: file is \(size) bytes, shorter than the 8-byte header length")
        }
        var lengthField = [UInt8](repeating: 0, count: 8)
        try lengthField.withUnsafeMutableBytes { try read(0, $0) }
        var length: UInt64 = 0
        for i in 0..<8 { length |= UInt64(lengthField[i]) << UInt64(8 * i) }
        guard length <= UInt64(SafetensorsHeader.maxLength) else {
            throw CheckpointError(.badHeader, source: source,
                "header length \(length) is over the \(SafetensorsHeader.maxLength)-byte limit (not a safetensors file?)")
        }
        let headerLength = Int(length)
        guard headerLength <= size - 8 else {
            throw CheckpointError(.truncated, source: source,
                "truncated: header length is \(headerLength) bytes, but only \(size - 8) bytes follow it")
        }
        var header = [UInt8](repeating: 0, count: headerLength)
        try header.withUnsafeMutableBytes { try read(8, $0) }
        let dataStart = 8 + headerLength
        // decode() checks that the entries tile exactly the data section: no tensor is larger than the file.
        let (entries, metadata) = try SafetensorsHeader.decode(header, dataLength: size - dataStart, source: source)

        var tensors: [(name: String, tensor: Tensor)] = []
        tensors.reserveCapacity(entries.count)
        for entry in entries {
            let tensor = Tensor(uninitializedShape: entry.shape, dtype: entry.dtype)
            try read(dataStart + entry.begin, UnsafeMutableRawBufferPointer(start: tensor.rawPointer, count: entry.end - entry.begin))
            tensors.append((entry.name, tensor))
        }
        return SafetensorsArchive(tensors: tensors, metadata: metadata)
    }
}
