#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Checkpointing

/// An output file written in pieces that appears only when complete: bytes go to a hidden temporary
/// in the same directory, and `commit` fsyncs it and renames it over the target. Until then (an error,
/// a bad row, a crash) the target is untouched and `abandon` (or deinit) removes the temporary: a
/// failed `predict` leaves no partial predictions file. The one-shot counterpart is `AtomicFile`. A
/// character device or FIFO at the path (`--output /dev/stdout`) is written through instead of being
/// replaced by a plain file (`OutputTarget`).
///
/// ```swift
/// let out = try StreamingOutputFile(path: "preds.csv")
/// try out.write("id,prob\n")
/// try out.commit()
/// ```
public final class StreamingOutputFile {
    public let path: String
    /// The hidden temporary renamed over the target at `commit`; nil when the target is a device or
    /// FIFO written through (`OutputTarget`): those are never renamed over, and cannot be atomic.
    private let temporary: String?
    /// The regular file the temporary replaces (`path`, or what a symbolic link at `path` points to).
    private let target: String
    private var fd: Int32
    private var pending: [UInt8] = []
    private var done = false

    public init(path: String) throws {
        self.path = path
        let slash = path.lastIndex(of: "/")
        let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
        guard !name.isEmpty else { throw TrainingError("\(path): the output path names a directory, not a file") }
        switch try OutputTarget.resolve(path) {
        case .writeThrough:
            temporary = nil
            target = path
            fd = try OutputTarget.openWriteThrough(path).rawValue
        case .replace(let file):
            target = file
            let slash = file.lastIndex(of: "/")
            let directory = slash.map { String(file[..<$0]) } ?? "."
            let name = slash.map { String(file[file.index(after: $0)...]) } ?? file
            let temporary = (directory.isEmpty ? "/" : directory) + "/." + name + ".tmp-\(getpid())-" + String(UInt64.random(in: 0...UInt64.max), radix: 16)
            self.temporary = temporary
            fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
            guard fd >= 0 else { throw TrainingError("\(path): cannot create the output file (\(String(cString: strerror(errno))))") }
        }
        pending.reserveCapacity(1 << 16)
    }

    deinit { abandon() }

    /// Buffers `text`; full buffers are written through.
    public func write(_ text: String) throws {
        pending.append(contentsOf: text.utf8)
        if pending.count >= 1 << 16 { try flush() }
    }

    private func flush() throws {
        try pending.withUnsafeBytes { buffer in
            var written = 0
            while written < buffer.count {
                let n = systemWrite(fd, buffer.baseAddress! + written, buffer.count - written)
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { throw TrainingError("\(path): cannot write the output file (\(String(cString: strerror(errno))))") }
                written += n
            }
        }
        pending.removeAll(keepingCapacity: true)
    }

    /// Writes what is buffered, flushes it to disk and renames the file into place (a device or FIFO
    /// has had every byte written through, and is only closed).
    public func commit() throws {
        try flush()
        guard let temporary else {
            let closed = close(fd)
            fd = -1
            done = true
            guard closed == 0 else { throw TrainingError("\(path): cannot close the output (\(String(cString: strerror(errno))))") }
            return
        }
        guard fsync(fd) == 0 else { throw TrainingError("\(path): cannot flush the output file (\(String(cString: strerror(errno))))") }
        let closed = close(fd)
        fd = -1   // whatever close returns, the descriptor is gone (never retry close on Linux)
        guard closed == 0 else { throw TrainingError("\(path): cannot close the output file (\(String(cString: strerror(errno))))") }
        guard rename(temporary, target) == 0 else {
            throw TrainingError("\(path): cannot move the output file into place (\(String(cString: strerror(errno))))")
        }
        done = true
    }

    /// Removes the temporary; the target keeps whatever it held before.
    public func abandon() {
        guard !done else { return }
        done = true
        if fd >= 0 { close(fd); fd = -1 }
        if let temporary { unlink(temporary) }
    }
}

/// `write(2)`, named apart from the method above.
private func systemWrite(_ fd: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
    #if canImport(Glibc)
    Glibc.write(fd, bytes, count)
    #else
    Darwin.write(fd, bytes, count)
    #endif
}
