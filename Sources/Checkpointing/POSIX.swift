#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Checked wrappers over the few POSIX calls the module makes. Each failure becomes a
/// `CheckpointError` of kind `.io` that names the file, the call and `strerror(errno)`, so that a
/// full disk or a missing directory reads as such instead of as a crash or a silent half-write.
enum POSIX {
    /// `"what (call: strerror)"`, e.g. `"cannot open for reading (open: No such file or directory)"`.
    static func describe(_ what: String, call: String, errno code: Int32) -> String {
        "\(what) (\(call): \(String(cString: strerror(code))))"
    }

    static func ioError(_ source: String, _ what: String, call: String, errno code: Int32) -> CheckpointError {
        CheckpointError(.io, source: source, describe(what, call: call, errno: code))
    }

    /// Splits a path into its directory and last component; `"a"` lives in `"."`, `"/a"` in `"/"`.
    static func split(_ path: String) -> (directory: String, name: String) {
        guard let slash = path.lastIndex(of: "/") else { return (".", path) }
        let directory = String(path[..<slash])
        return (directory.isEmpty ? "/" : directory, String(path[path.index(after: slash)...]))
    }

    /// `write(2)`, reachable from types that have a `write` member of their own.
    static func write(_ fd: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
        unistdWrite(fd, bytes, count)
    }

    /// The whole content of the regular file at `path` (see `RegularFile`): a device, FIFO or
    /// directory is refused before anything is read, and the read stops at the size `fstat` reported.
    static func readAll(_ path: String) throws -> [UInt8] {
        let file = try RegularFile(path: path)
        defer { file.close() }
        var bytes = [UInt8](repeating: 0, count: file.size)
        try bytes.withUnsafeMutableBytes { try file.read(into: $0, at: 0) }
        return bytes
    }

    /// Whether something exists at `path` (any file type); other `stat` failures are thrown.
    static func exists(_ path: String) throws -> Bool {
        var info = stat()
        if stat(path, &info) == 0 { return true }
        let code = errno
        if code == ENOENT { return false }
        throw ioError(path, "cannot inspect", call: "stat", errno: code)
    }

    /// The names in a directory (without "." and ".."), or `nil` if the directory does not exist.
    static func listDirectory(_ path: String) throws -> [String]? {
        guard let dir = opendir(path) else {
            let code = errno
            if code == ENOENT { return nil }
            throw ioError(path, "cannot list directory", call: "opendir", errno: code)
        }
        defer { closedir(dir) }
        var names: [String] = []
        while true {
            errno = 0   // readdir signals an error only through errno
            guard let entry = readdir(dir) else {
                let code = errno
                if code != 0 { throw ioError(path, "cannot list directory", call: "readdir", errno: code) }
                return names
            }
            let name = withUnsafePointer(to: &entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: MemoryLayout.size(ofValue: entry.pointee.d_name)) {
                    String(cString: $0)
                }
            }
            if name != "." && name != ".." { names.append(name) }
        }
    }

    /// Flushes a directory's entries (new, renamed or removed names) to disk.
    static func syncDirectory(_ path: String) throws {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw ioError(path, "cannot open directory to flush it", call: "open", errno: errno) }
        while fsync(fd) != 0 {
            let code = errno
            if code == EINTR { continue }
            close(fd)
            throw ioError(path, "cannot flush directory", call: "fsync", errno: code)
        }
        guard close(fd) == 0 else { throw ioError(path, "cannot close directory", call: "close", errno: errno) }
    }

    /// Creates `path` and any missing parents (like `mkdir -p`), flushing each parent that gains an
    /// entry so that the new directory survives a crash along with the files later put in it.
    static func makeDirectories(_ path: String) throws {
        if try exists(path) { return }
        let (parent, _) = split(path)
        if parent != path { try makeDirectories(parent) }
        if mkdir(path, 0o755) != 0 {
            let code = errno
            if code == EEXIST { return }   // created meanwhile by someone else: fine
            throw ioError(path, "cannot create directory", call: "mkdir", errno: code)
        }
        try syncDirectory(parent)
    }

    /// Removes a file; one that is already gone is not an error.
    static func removeFile(_ path: String) throws {
        if unlink(path) != 0 {
            let code = errno
            if code == ENOENT { return }
            throw ioError(path, "cannot remove", call: "unlink", errno: code)
        }
    }
}

/// `write(2)` under a name that no member shadows.
private func unistdWrite(_ fd: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
    write(fd, bytes, count)
}
