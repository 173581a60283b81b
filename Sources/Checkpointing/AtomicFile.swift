#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SystemPackage

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
    /// A character device or FIFO at `path` is written through, never replaced (`OutputTarget`).
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
    static func write(_ bytes: [UInt8], to requested: String, failingAt injected: Step?) throws {
        let requestedName = split(requested).name
        guard !requestedName.isEmpty, requestedName != ".", requestedName != ".." else {
            throw CheckpointError(.invalidArgument, source: requested, "cannot write: the path names a directory, not a file")
        }
        // Renaming over a device, a FIFO or a link to one would replace it with a plain file: those are
        // written through instead (`OutputTarget`), and a link to a regular file is renamed at its target.
        let path: String
        switch try OutputTarget.resolve(requested) {
        case .writeThrough:
            let fd = try OutputTarget.openWriteThrough(requested)
            do {
                try bytes.withUnsafeBytes { try OutputTarget.writeAll($0, to: fd, path: requested) }
            } catch {
                _ = try? fd.close()
                throw error
            }
            try CheckpointError.io(requested, "cannot close", call: "close") { try fd.close() }
            return
        case .replace(let file):
            path = file
        }
        let (directory, name) = split(path)
        let temporary = directory + "/" + temporaryName(for: name)

        // Runs one system call of `step`, or fails it with EIO if it is the injected step; a failure
        // is reported against the target, naming what was being done and the call.
        func run<Result>(_ step: Step, _ what: String, call: String, _ body: () throws -> Result) throws -> Result {
            try CheckpointError.io(path, what, call: call) {
                if step == injected { throw Errno.ioError }
                return try body()
            }
        }

        let fd = try run(.create, "cannot create temporary file '\(temporary)'", call: "open") {
            try FileDescriptor.open(FilePath(temporary), .writeOnly, options: [.create, .exclusiveCreate, .closeOnExec],
                                    permissions: FilePermissions(rawValue: 0o644))
        }
        var isOpen = true
        var renamed = false
        defer {
            // On any failure before the rename, leave no trace: close and remove the temporary. Their
            // own errors are ignored; the first error is the one worth reporting.
            if isOpen { _ = try? fd.close() }
            if !renamed { try? FilePath(temporary).removeFile() }
        }

        let writing = "cannot write temporary file '\(temporary)'"
        try bytes.withUnsafeBytes { buffer in
            var written = 0
            while written < buffer.count {
                // Retried by swift-system when a signal interrupts it.
                let n = try run(.write, writing, call: "write") { try fd.write(UnsafeRawBufferPointer(rebasing: buffer[written...])) }
                // A regular file never accepts zero bytes of a non-empty request; don't spin if it does.
                guard n > 0 else { throw CheckpointError.io(path, writing, call: "write", .ioError) }
                written += n
            }
        }
        try run(.sync, "cannot flush temporary file '\(temporary)' to disk", call: "fsync") { try fd.sync() }
        isOpen = false   // whatever close returns, the descriptor is gone (never retry close on Linux)
        try run(.close, "cannot close temporary file '\(temporary)'", call: "close") { try fd.close() }
        try run(.rename, "cannot rename temporary file '\(temporary)' over the target", call: "rename") {
            try FilePath(temporary).move(over: FilePath(path))
        }
        renamed = true
        // The new content is in place; flushing the directory makes the rename itself durable.
        do {
            if injected == .syncDirectory { throw CheckpointError.io(directory, "cannot flush directory", call: "fsync", .ioError) }
            try syncDirectory(directory)
        } catch let error as CheckpointError {
            throw CheckpointError(.io, source: path, "wrote the file, but the rename may not survive a crash: \(error.description)")
        }
    }

    /// Splits a path into its directory and last component; `"a"` lives in `"."`, `"/a"` in `"/"`.
    /// Plain text, unlike `FilePath`, which drops a trailing slash: `"dir/"` must stay a directory
    /// (an empty last component), never become a file named `dir`.
    static func split(_ path: String) -> (directory: String, name: String) {
        guard let slash = path.lastIndex(of: "/") else { return (".", path) }
        let directory = String(path[..<slash])
        return (directory.isEmpty ? "/" : directory, String(path[path.index(after: slash)...]))
    }

    /// Flushes a directory's entries (new, renamed or removed names) to disk.
    static func syncDirectory(_ path: String) throws {
        let fd = try CheckpointError.io(path, "cannot open directory to flush it", call: "open") {
            try FileDescriptor.open(FilePath(path), .readOnly, options: [.directory, .closeOnExec])
        }
        do {
            try CheckpointError.io(path, "cannot flush directory", call: "fsync") { try fd.sync() }
        } catch {
            _ = try? fd.close()
            throw error
        }
        try CheckpointError.io(path, "cannot close directory", call: "close") { try fd.close() }
    }
}
