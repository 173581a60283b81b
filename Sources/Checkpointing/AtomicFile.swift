#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Replaces a file's content all at once: after a crash at any moment the path holds either the old
/// content or the new, never a mixture or a truncated file.
///
/// The new bytes go to a temporary file in the same directory (rename is atomic only within one file
/// system), which is fsynced before it is renamed over the target, and the directory is fsynced after,
/// so that the rename itself is on disk when `write` returns. If any step fails, the temporary is
/// removed and the error thrown; the target is untouched.
///
/// ```swift
/// try AtomicFile.write(Array("step-00000100.safetensors\n".utf8), to: "run/latest")
/// ```
public enum AtomicFile {
    /// Writes `bytes` to `path`, replacing any file there. The file is created with mode 0644 (less
    /// the umask); a crash may leave a stray `.NAME.tmp-*` file next to it, never a damaged `NAME`.
    public static func write(_ bytes: [UInt8], to path: String) throws {
        try write(bytes, to: path, failingAt: nil)
    }

    /// `.NAME.tmp-PID-RANDOM`: hidden, and unique per process and call; created with O_EXCL, so two
    /// writers never share a temporary.
    static func temporaryName(for name: String) -> String {
        "." + name + temporaryMarker + "\(getpid())-" + String(UInt64.random(in: 0...UInt64.max), radix: 16)
    }

    private static let temporaryMarker = ".tmp-"

    /// The file a temporary was meant to replace (`NAME` for `.NAME.tmp-PID-RANDOM`), or `nil` if
    /// `name` is not one of our temporaries. Lets a directory's owner sweep up after a crash.
    static func target(ofTemporary name: String) -> String? {
        guard name.hasPrefix(".") else { return nil }
        let body = Array(name.utf8.dropFirst())
        let marker = Array(temporaryMarker.utf8)
        guard body.count > marker.count else { return nil }
        for start in stride(from: body.count - marker.count, through: 1, by: -1)
        where body[start..<(start + marker.count)].elementsEqual(marker) {
            let suffix = body[(start + marker.count)...].split(separator: UInt8(ascii: "-"), omittingEmptySubsequences: false)
            let isHex: (UInt8) -> Bool = { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
            guard suffix.count == 2, !suffix[0].isEmpty, !suffix[1].isEmpty,
                  suffix[0].allSatisfy({ (0x30...0x39).contains($0) }), suffix[1].allSatisfy(isHex) else { return nil }
            return String(decoding: body[..<start], as: UTF8.self)
        }
        return nil
    }

    /// The steps of a write, named so that tests can make one of them fail.
    enum Step: CaseIterable {
        case create, write, sync, close, rename, syncDirectory
    }

    /// `write(_:to:)` with an optional injected failure: the call at `failingAt` fails with `EIO`
    /// instead of running. Tests use it to show that a failure at any step loses nothing.
    static func write(_ bytes: [UInt8], to path: String, failingAt injected: Step?) throws {
        let (directory, name) = POSIX.split(path)
        guard !name.isEmpty, name != ".", name != ".." else {
            throw CheckpointError(.invalidArgument, source: path, "cannot write: the path names a directory, not a file")
        }
        let temporary = directory + "/" + temporaryName(for: name)

        // Runs one system call, or fails it with EIO if it is the injected step.
        func call(_ step: Step, _ body: () -> Int) -> Int {
            if step == injected { errno = EIO; return -1 }
            return body()
        }
        func failure(_ what: String, _ syscall: String, _ code: Int32) -> CheckpointError {
            POSIX.ioError(path, what, call: syscall, errno: code)
        }

        let fd = Int32(call(.create) { Int(open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)) })
        guard fd >= 0 else { throw failure("cannot create temporary file '\(temporary)'", "open", errno) }
        var isOpen = true
        var renamed = false
        defer {
            // On any failure before the rename, leave no trace: close and remove the temporary. Their
            // own errors are ignored; the first error is the one worth reporting.
            if isOpen { close(fd) }
            if !renamed { unlink(temporary) }
        }

        try bytes.withUnsafeBytes { buffer in
            var written = 0
            while written < buffer.count {
                let n = call(.write) { POSIX.write(fd, buffer.baseAddress! + written, buffer.count - written) }
                if n < 0 {
                    let code = errno
                    if code == EINTR { continue }
                    throw failure("cannot write temporary file '\(temporary)'", "write", code)
                }
                // A regular file never accepts zero bytes of a non-empty request; don't spin if it does.
                guard n > 0 else { throw failure("cannot write temporary file '\(temporary)'", "write", EIO) }
                written += n
            }
        }
        while call(.sync, { Int(fsync(fd)) }) != 0 {
            let code = errno
            if code == EINTR { continue }
            throw failure("cannot flush temporary file '\(temporary)' to disk", "fsync", code)
        }
        isOpen = false   // whatever close returns, the descriptor is gone (never retry close on Linux)
        guard call(.close, { Int(close(fd)) }) == 0 else {
            throw failure("cannot close temporary file '\(temporary)'", "close", errno)
        }
        guard call(.rename, { Int(rename(temporary, path)) }) == 0 else {
            throw failure("cannot rename temporary file '\(temporary)' over the target", "rename", errno)
        }
        renamed = true
        // The new content is in place; flushing the directory makes the rename itself durable.
        do {
            if injected == .syncDirectory { throw POSIX.ioError(directory, "cannot flush directory", call: "fsync", errno: EIO) }
            try POSIX.syncDirectory(directory)
        } catch let error as CheckpointError {
            throw CheckpointError(.io, source: path, "wrote the file, but the rename may not survive a crash: \(error.description)")
        }
    }
}
