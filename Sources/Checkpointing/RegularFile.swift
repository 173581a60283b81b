import SystemPackage

/// A regular file opened for reading, with the size it had when it was opened.
///
/// Only regular files are accepted: `/dev/zero`, a FIFO or a terminal has no size to check a header
/// against and can feed bytes forever (or never), so a reader that trusts it hangs or fills memory.
/// The type is checked with `fstat` on the open descriptor, so the file cannot be swapped between the
/// check and the reads. Reads are positioned (`pread`) and must be satisfied completely: a file that
/// shrinks while it is read is reported as truncated rather than read short.
///
/// ```swift
/// let file = try RegularFile(path: "run/model.safetensors")
/// defer { file.close() }
/// var prefix = [UInt8](repeating: 0, count: 8)
/// try prefix.withUnsafeMutableBytes { try file.read(into: $0, at: 0) }
/// ```
public struct RegularFile: Sendable {
    public let path: String
    /// The size in bytes `fstat` reported when the file was opened.
    public let size: Int
    private let descriptor: FileDescriptor

    /// Opens `path` read-only; throws `.io` if it cannot be opened or is not a regular file.
    public init(path: String) throws {
        // .nonBlocking: opening a FIFO without a writer would otherwise block here, before fstat can
        // tell what it is. It has no effect on reads from a regular file.
        let descriptor = try CheckpointError.io(path, "cannot open for reading", call: "open") {
            try FileDescriptor.open(FilePath(path), .readOnly, options: [.closeOnExec, .nonBlocking])
        }
        let info: Stat
        do {
            info = try CheckpointError.io(path, "cannot inspect", call: "fstat") { try descriptor.stat() }
        } catch {
            _ = try? descriptor.close()
            throw error
        }
        guard info.type == .regular else {
            _ = try? descriptor.close()
            throw CheckpointError(.invalidArgument, source: path, "is \(Self.kindName(info.type)), not a regular file")
        }
        self.path = path
        self.size = Int(info.size)
        self.descriptor = descriptor
    }

    /// The whole content of the regular file at `path`: a device, FIFO or directory is refused before
    /// anything is read, and the read stops at the size `fstat` reported.
    public static func contents(of path: String) throws -> [UInt8] {
        let file = try RegularFile(path: path)
        defer { file.close() }
        var bytes = [UInt8](repeating: 0, count: file.size)
        try bytes.withUnsafeMutableBytes { try file.read(into: $0, at: 0) }
        return bytes
    }

    /// Closes the descriptor. Read-only: a failed close loses nothing, so its result is ignored.
    public func close() { _ = try? descriptor.close() }

    /// Fills `buffer` with the bytes at `offset...`; throws `.truncated` if the file ends first.
    public func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) throws {
        var done = 0
        while done < buffer.count {
            // Retried by swift-system when a signal interrupts it.
            let n = try CheckpointError.io(path, "cannot read", call: "pread") {
                try descriptor.read(fromAbsoluteOffset: Int64(offset + done), into: UnsafeMutableRawBufferPointer(rebasing: buffer[done...]))
            }
            guard n > 0 else {
                throw CheckpointError(.truncated, source: path,
                    "truncated: the file ended at byte \(offset + done) while reading \(buffer.count) bytes from byte \(offset) (was it changed while being read?)")
            }
            done += n
        }
    }

    /// What a non-regular file is, for the error message.
    private static func kindName(_ type: FileType) -> String {
        switch type {
        case .directory: "a directory"
        case .characterSpecial: "a character device"
        case .blockSpecial: "a block device"
        case .fifo: "a FIFO (named pipe)"
        case .socket: "a socket"
        case .symbolicLink: "a symbolic link"
        default: "not a regular file"
        }
    }
}
