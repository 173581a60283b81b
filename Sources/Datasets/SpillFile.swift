#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// An anonymous scratch file for data that would otherwise grow a process's memory with a data set's
/// size (the exact AUC's sorted runs, `AUCAccumulator`): created in the temporary directory and
/// unlinked at once, so it takes no name, leaves nothing behind after a crash or kill -9, and its
/// pages live in the page cache rather than the process's resident memory. Every call is checked;
/// writes and reads loop until done.
///
/// ```swift
/// let file = try SpillFile()
/// try file.write(keys, at: 0)
/// try file.read(into: buffer, at: 0)
/// ```
final class SpillFile {
    private let descriptor: Int32

    init() throws(DatasetError) {
        let directory = ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        var template = Array((directory + "/lockstep-spill-XXXXXX").utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw .unreadableFile(path: directory, reason: "cannot create a scratch file: \(String(cString: strerror(errno)))") }
        let path = String(cString: template)
        unlink(path)
        descriptor = fd
    }

    deinit { close(descriptor) }

    /// Writes `bytes` at `offset`.
    func write(_ bytes: UnsafeRawBufferPointer, at offset: Int) throws(DatasetError) {
        var done = 0
        while done < bytes.count {
            let n = pwrite(descriptor, bytes.baseAddress! + done, bytes.count - done, off_t(offset + done))
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { throw .unreadableFile(path: "scratch file", reason: "cannot write: \(String(cString: strerror(errno)))") }
            done += n
        }
    }

    /// Fills `buffer` from `offset` on.
    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) throws(DatasetError) {
        var done = 0
        while done < buffer.count {
            let n = pread(descriptor, buffer.baseAddress! + done, buffer.count - done, off_t(offset + done))
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { throw .unreadableFile(path: "scratch file", reason: "cannot read: \(n == 0 ? "it ended early" : String(cString: strerror(errno)))") }
            done += n
        }
    }
}
