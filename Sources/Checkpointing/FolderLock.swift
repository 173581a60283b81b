#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SystemPackage

/// One writer per folder: an exclusive `flock(2)` on `DIR/.lock`, taken without waiting. A second
/// writer is refused with one line naming the holder's pid (and host, when another node holds it),
/// which the holder writes into the file. The lock belongs to the open file, so it ends with the
/// holder's process however that ends — `kill -9` included — and never needs cleaning up; and two
/// locks taken in one process exclude each other too (simulated ranks, tests).
///
/// The file is never removed: a writer that unlinked it on release could leave a waiting one holding
/// a lock on a name that no longer exists while a third locks a new file of that name.
///
/// ```swift
/// let lock = try FolderLock.acquire("runs/x", purpose: "lockstep train")   // or: runs/x: in use by pid 4711 (lockstep train) …
/// defer { lock.release() }
/// ```
public final class FolderLock: @unchecked Sendable {   // safe: `descriptor` changes only in `release`, by its one owner
    public static let fileName = ".lock"
    static let heldMessagePrefix = "in use by "

    public let directory: String
    private var descriptor: FileDescriptor?

    private init(directory: String, descriptor: FileDescriptor) {
        self.directory = directory
        self.descriptor = descriptor
    }

    deinit { release() }

    /// Locks `directory` (which must exist) for this process; `purpose` is what a refused writer is told
    /// the holder is doing. With `waiting` > 0 a held lock is tried again every 50 ms for up to that
    /// many seconds before the refusal: a restarted run waits so for the failed attempt's writer, which
    /// may still be ending on another host.
    public static func acquire(_ directory: String, purpose: String, waiting: Double) throws -> FolderLock {
        let deadline = ContinuousClock.now + .milliseconds(Int64(max(0, waiting) * 1000))
        while true {
            do {
                return try acquire(directory, purpose: purpose)
            } catch let error as CheckpointError where error.isHeldByAnother && ContinuousClock.now < deadline {
                usleep(50_000)
            }
        }
    }

    /// Locks `directory` (which must exist) for this process, without waiting; `purpose` is what a
    /// refused writer is told the holder is doing.
    public static func acquire(_ directory: String, purpose: String) throws -> FolderLock {
        let path = directory + "/" + fileName
        let fd = try CheckpointError.io(path, "cannot open the folder's lock file", call: "open") {
            try FileDescriptor.open(FilePath(path), .readWrite, options: [.create, .closeOnExec],
                                    permissions: FilePermissions(rawValue: 0o644))
        }
        var result: Int32
        repeat { result = flock(fd.rawValue, LOCK_EX | LOCK_NB) } while result != 0 && errno == EINTR
        if result != 0 {
            let code = Errno.current
            let holder = code == .wouldBlock ? describeHolder(fd) : nil
            _ = try? fd.close()
            if let holder {
                throw CheckpointError(.io, source: directory, heldMessagePrefix + "\(holder); two runs must not write one folder: wait for it to end, or stop it")
            }
            throw CheckpointError.io(path, "cannot lock the folder", call: "flock", code)
        }
        // Who holds it, for the writer that is refused; the lock itself does not depend on this.
        let record = Array("\(getpid()) \(hostName()) \(purpose)\n".utf8)
        _ = ftruncate(fd.rawValue, 0)
        _ = record.withUnsafeBytes { pwrite(fd.rawValue, $0.baseAddress, $0.count, 0) }
        return FolderLock(directory: directory, descriptor: fd)
    }

    /// Ends the lock (closing the file releases it); also done when the object goes away.
    public func release() {
        guard let descriptor else { return }
        self.descriptor = nil
        _ = try? descriptor.close()
    }

    /// "pid 4711 (lockstep train)" from the holder's record, with its host when that is not this one.
    static func describeHolder(_ fd: FileDescriptor) -> String {
        var buffer = [UInt8](repeating: 0, count: 512)
        let count = buffer.withUnsafeMutableBytes { pread(fd.rawValue, $0.baseAddress, $0.count, 0) }
        let text = String(decoding: buffer.prefix(max(0, count)), as: UTF8.self)
        let fields = text.split(separator: "\n").first.map { $0.split(separator: " ", maxSplits: 2) } ?? []
        guard fields.count >= 2, let pid = Int(fields[0]) else { return "another process (its lock file names none)" }
        let host = String(fields[1]), purpose = fields.count > 2 ? " (" + quoted(String(fields[2].prefix(80))).dropFirst().dropLast() + ")" : ""
        return "pid \(pid)\(host == hostName() ? "" : " on " + quoted(String(host.prefix(64))))\(purpose)"
    }

    static func hostName() -> String {
        var name = [CChar](repeating: 0, count: 256)
        guard gethostname(&name, name.count - 1) == 0 else { return "?" }
        let host = String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return host.isEmpty || host.contains(" ") ? "?" : host
    }
}

extension CheckpointError {
    /// Whether this is `FolderLock`'s refusal: another writer holds the folder.
    var isHeldByAnother: Bool { kind == .io && message.hasPrefix(FolderLock.heldMessagePrefix) }
}
