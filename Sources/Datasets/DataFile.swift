#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The one way a data file (a CSV of `data.path`, `validation_path`, `eval --data`, `predict --input`)
/// is opened: read-only, and only if it is a regular file.
///
/// A FIFO without a writer blocks `open` and a FIFO with one, or `/dev/zero`, feeds bytes forever, so
/// a reader that trusts the name hangs (and a hung `train` ignores SIGTERM) or fills memory. The file
/// is opened non-blocking (a FIFO cannot block the `open`), its type checked with `fstat` on that
/// descriptor (so nothing can be swapped in between the check and the reads, unlike `stat` on the
/// name), and only then switched back to blocking reads.
///
/// ```swift
/// let file = try DataFile.open("configs/data/digits.csv")
/// defer { close(file.descriptor) }
/// print(file.size)
/// ```
public enum DataFile {
    /// Opens `path` for reading; throws `.fileNotFound`, or `.unreadableFile` for anything that cannot
    /// be opened or is not a regular file (`it is a directory`, `it is not a regular file`). The
    /// caller owns the descriptor. `size` is what `fstat` reported at the open.
    public static func open(_ path: String) throws(DatasetError) -> (descriptor: Int32, size: Int) {
        let fd = systemOpen(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else {
            if errno == ENOENT { throw .fileNotFound(path: path) }
            throw .unreadableFile(path: path, reason: String(cString: strerror(errno)))
        }
        var status = stat()
        guard fstat(fd, &status) == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw .unreadableFile(path: path, reason: reason)
        }
        switch status.st_mode & S_IFMT {
        case S_IFREG:
            break
        case S_IFDIR:
            close(fd)
            throw .unreadableFile(path: path, reason: "it is a directory")
        default:
            close(fd)
            throw .unreadableFile(path: path, reason: "it is not a regular file")
        }
        // O_NONBLOCK does nothing to a regular file's reads; clear it all the same, so that stdio
        // never sees EAGAIN from a file system that honours it.
        let flags = fcntl(fd, F_GETFL)
        guard flags >= 0, fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw .unreadableFile(path: path, reason: reason)
        }
        return (fd, Int(status.st_size))
    }

    /// The whole content of the regular file at `path` (read to its end, retrying interrupted reads).
    public static func contents(of path: String) throws(DatasetError) -> [UInt8] {
        let (fd, size) = try open(path)
        defer { close(fd) }
        var bytes = [UInt8](repeating: 0, count: max(size, 1 << 12))
        var count = 0
        while true {
            if count == bytes.count { bytes += [UInt8](repeating: 0, count: bytes.count) }
            let n = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress! + count, $0.count - count) }
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else { throw .unreadableFile(path: path, reason: String(cString: strerror(errno))) }
            if n == 0 { break }
            count += n
        }
        bytes.removeLast(bytes.count - count)
        return bytes
    }
}

/// `open(2)`, named apart from `DataFile.open`.
private func systemOpen(_ path: String, _ flags: Int32) -> Int32 {
    #if canImport(Glibc)
    Glibc.open(path, flags)
    #else
    Darwin.open(path, flags)
    #endif
}
