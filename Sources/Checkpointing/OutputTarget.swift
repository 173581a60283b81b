#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SystemPackage

/// What is at a path a file is about to be written to, and so how it may be written: the one decision
/// behind every output, `AtomicFile` and the streaming predictions file alike.
///
/// Writing a temporary and renaming it over the target is right for a regular file and wrong for
/// anything else: renamed over `/dev/null` (as root), a FIFO or a symbolic link to `/proc/self/fd/1`,
/// it would replace the device or the pipe with a plain file. So:
///
/// - nothing there, or a regular file: `.replace(path)`, renamed over; a symbolic link to a regular
///   file is followed (`.replace` names the file it points to), so the link stays a link;
/// - a character device (`/dev/null`, `/dev/full`, a terminal) or a FIFO, directly or through a link:
///   `.writeThrough`, written through an ordinary descriptor; a full device is the write's error
///   (`ENOSPC`), a FIFO nobody reads is refused at the open instead of blocking;
/// - a block device, a socket, a link to nothing: refused, one line naming the path; a directory is
///   `.replace`, and the rename refuses it (`EISDIR`) as it always did.
///
/// ```swift
/// switch try OutputTarget.resolve("preds.csv") {
/// case .replace(let file): print("temporary beside \(file), renamed over it")
/// case .writeThrough: print("written through a descriptor, never renamed")
/// }
/// ```
public enum OutputTarget: Equatable, Sendable {
    case replace(String)
    case writeThrough

    /// How `path` may be written; throws `CheckpointError` (`.invalidArgument` for what is never
    /// written, `.io` when the path cannot be inspected).
    public static func resolve(_ path: String) throws -> OutputTarget {
        let own: Stat
        do {
            own = try FilePath(path).stat(followTargetSymlink: false)
        } catch .noSuchFileOrDirectory {
            return .replace(path)
        } catch {
            throw CheckpointError.io(path, "cannot inspect the output path", call: "lstat", error)
        }
        guard own.type == .symbolicLink else { return try decide(path, own.type, resolved: path) }
        let target: Stat
        do {
            target = try FilePath(path).stat()
        } catch .noSuchFileOrDirectory {
            throw CheckpointError(.invalidArgument, source: path, "is a symbolic link to nothing; refusing to write through it")
        } catch {
            throw CheckpointError.io(path, "cannot inspect what the symbolic link points to", call: "stat", error)
        }
        guard target.type == .regular else { return try decide(path, target.type, resolved: path) }
        guard let real = realpath(path, nil) else {
            throw CheckpointError.io(path, "cannot resolve the symbolic link", call: "realpath", .current)
        }
        defer { free(real) }
        return .replace(String(cString: real))
    }

    private static func decide(_ path: String, _ type: FileType, resolved: String) throws -> OutputTarget {
        switch type {
        case .regular: return .replace(resolved)
        case .characterSpecial, .fifo: return .writeThrough
        case .directory: return .replace(resolved)   // the rename refuses it (EISDIR), and leaves it alone
        case .blockSpecial: throw CheckpointError(.invalidArgument, source: path, "is a block device; refusing to write over it")
        case .socket: throw CheckpointError(.invalidArgument, source: path, "is a socket; refusing to write over it")
        default: throw CheckpointError(.invalidArgument, source: path, "is not a regular file; refusing to write over it")
        }
    }

    /// Opens the device or FIFO at `path` for writing through: no create, no truncate. Non-blocking at
    /// the open, so that a FIFO without a reader is an error (`ENXIO`) rather than a hang, then
    /// blocking, as a writer expects. The descriptor's type is checked again with `fstat`: a regular
    /// file swapped in since `resolve` is refused, not written into unannounced.
    public static func openWriteThrough(_ path: String) throws -> FileDescriptor {
        let fd: FileDescriptor
        do {
            fd = try FileDescriptor.open(FilePath(path), .writeOnly, options: [.nonBlocking, .closeOnExec, FileDescriptor.OpenOptions(rawValue: O_NOCTTY)])
        } catch let code as Errno where code == .noSuchAddressOrDevice {
            throw CheckpointError(.io, source: path, "is a FIFO (named pipe) that nobody reads; refusing to wait for a reader")
        } catch let code as Errno {
            throw CheckpointError.io(path, "cannot open for writing", call: "open", code)
        }
        do {
            let type = try CheckpointError.io(path, "cannot inspect", call: "fstat") { try fd.stat().type }
            guard type == .characterSpecial || type == .fifo else {
                throw CheckpointError(.io, source: path, "changed while it was being opened; not writing")
            }
            let flags = fcntl(fd.rawValue, F_GETFL)
            guard flags >= 0, fcntl(fd.rawValue, F_SETFL, flags & ~O_NONBLOCK) == 0 else {
                throw CheckpointError.io(path, "cannot make the descriptor blocking", call: "fcntl", .current)
            }
        } catch {
            _ = try? fd.close()
            throw error
        }
        return fd
    }

    /// Writes all of `bytes` to a descriptor from `openWriteThrough`, retrying short and interrupted
    /// writes; a failure (`ENOSPC` from `/dev/full`, `EPIPE` from a FIFO whose reader left) is one
    /// line naming `path`.
    public static func writeAll(_ bytes: UnsafeRawBufferPointer, to fd: FileDescriptor, path: String) throws {
        var written = 0
        while written < bytes.count {
            // Retried by swift-system when a signal interrupts it.
            let n = try CheckpointError.io(path, "cannot write", call: "write") {
                try fd.write(UnsafeRawBufferPointer(rebasing: bytes[written...]))
            }
            guard n > 0 else { throw CheckpointError.io(path, "cannot write", call: "write", .ioError) }
            written += n
        }
    }
}
