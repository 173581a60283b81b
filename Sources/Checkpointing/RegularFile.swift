#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

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
struct RegularFile {
    let path: String
    /// The size in bytes `fstat` reported when the file was opened.
    let size: Int
    private let descriptor: Int32

    /// Opens `path` read-only; throws `.io` if it cannot be opened or is not a regular file.
    init(path: String) throws {
        // O_NONBLOCK: opening a FIFO without a writer would otherwise block here, before fstat can
        // tell what it is. It has no effect on reads from a regular file.
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { throw POSIX.ioError(path, "cannot open for reading", call: "open", errno: errno) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            let code = errno
            _ = closeDescriptor(fd)
            throw POSIX.ioError(path, "cannot inspect", call: "fstat", errno: code)
        }
        guard info.st_mode & S_IFMT == S_IFREG else {
            _ = closeDescriptor(fd)
            throw CheckpointError(.invalidArgument, source: path, "is \(Self.kindName(mode: info.st_mode)), not a regular file")
        }
        self.path = path
        self.size = Int(info.st_size)
        self.descriptor = fd
    }

    /// Closes the descriptor. Read-only: a failed close loses nothing, so its result is ignored.
    func close() { _ = closeDescriptor(descriptor) }

    /// Fills `buffer` with the bytes at `offset...`; throws `.truncated` if the file ends first.
    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) throws {
        var done = 0
        while done < buffer.count {
            let n = pread(descriptor, buffer.baseAddress! + done, buffer.count - done, off_t(offset + done))
            if n < 0 {
                let code = errno
                if code == EINTR { continue }
                throw POSIX.ioError(path, "cannot read", call: "pread", errno: code)
            }
            guard n > 0 else {
                throw CheckpointError(.truncated, source: path,
                    "truncated: the file ended at byte \(offset + done) while reading \(buffer.count) bytes from byte \(offset) (was it changed while being read?)")
            }
            done += n
        }
    }

    /// What a non-regular file is, for the error message.
    private static func kindName(mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFDIR: "a directory"
        case S_IFCHR: "a character device"
        case S_IFBLK: "a block device"
        case S_IFIFO: "a FIFO (named pipe)"
        case S_IFSOCK: "a socket"
        case S_IFLNK: "a symbolic link"
        default: "not a regular file"
        }
    }
}

/// `close(2)` under a name that `RegularFile.close()` does not shadow.
private func closeDescriptor(_ fd: Int32) -> Int32 { close(fd) }
