#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SystemPackage

// The libc calls this module needs that swift-system does not wrap (fsync, rename, unlink, mkdir,
// access, opendir/readdir), each wrapped here once: its return code checked, its `errno` thrown as
// an `Errno` like swift-system's own calls, so that every caller reports failures one way
// (`CheckpointError.io`). The names differ from the C functions' on purpose: a member named `rename`
// would hide the C `rename` it calls.

extension Errno {
    /// The calling thread's `errno`, read right after a C call reported a failure.
    static var current: Errno { Errno(rawValue: errno) }
}

extension FileDescriptor {
    /// `fsync(2)`: the file's data and metadata are on disk when this returns. Retried when a signal
    /// interrupts it.
    public func sync() throws(Errno) {
        while fsync(rawValue) != 0 {
            let code = Errno.current
            if code != .interrupted { throw code }
        }
    }
}

extension FilePath {
    /// `rename(2)`: puts this file in `target`'s place, replacing what was there in one atomic step
    /// (both on the same file system).
    func move(over target: FilePath) throws(Errno) {
        let result = withCString { from in target.withCString { to in rename(from, to) } }
        if result != 0 { throw Errno.current }
    }

    /// `unlink(2)`: removes the name (a file, not a directory).
    func removeFile() throws(Errno) {
        if withCString({ unlink($0) }) != 0 { throw Errno.current }
    }

    /// `mkdir(2)`: creates one directory (its parent must exist) with `permissions` less the umask.
    func makeDirectory(permissions: FilePermissions) throws(Errno) {
        if withCString({ mkdir($0, mode_t(permissions.rawValue)) }) != 0 { throw Errno.current }
    }

    /// `access(2)` with `W_OK | X_OK`: whether this process may create and remove entries in this
    /// directory; throws the reason when it may not.
    func checkWritableDirectory() throws(Errno) {
        if withCString({ access($0, W_OK | X_OK) }) != 0 { throw Errno.current }
    }
}

/// `opendir(3)`, `readdir(3)` and `closedir(3)`: the names in a directory, one at a time.
final class DirectoryStream {
    #if canImport(Glibc)
    private typealias Handle = OpaquePointer                // glibc's DIR is an incomplete type
    #else
    private typealias Handle = UnsafeMutablePointer<DIR>
    #endif
    private let stream: Handle

    /// Opens the directory at `path` (`opendir`).
    init(_ path: FilePath) throws(Errno) {
        guard let stream = path.withCString({ opendir($0) }) else { throw Errno.current }
        self.stream = stream
    }

    deinit { closedir(stream) }

    /// The next name (`.` and `..` included), or `nil` at the end (`readdir`).
    func next() throws(Errno) -> String? {
        errno = 0   // readdir reports an error only through errno: nil with errno 0 is the end
        guard let entry = readdir(stream) else {
            if errno != 0 { throw Errno.current }
            return nil
        }
        return withUnsafePointer(to: &entry.pointee.d_name) {
            $0.withMemoryRebound(to: CChar.self, capacity: MemoryLayout.size(ofValue: entry.pointee.d_name)) {
                String(cString: $0)
            }
        }
    }
}
