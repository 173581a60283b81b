#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a text file line by line in fixed-size chunks, so that a file of any size costs one chunk of
/// memory (plus the longest line). Blank lines are skipped; CRLF line ends and a UTF-8 byte-order mark
/// are accepted, as `CSVLoader` accepts them.
///
/// `onChunk` sees every byte of the file once, in order: a caller can hash the file while it is read.
///
/// ```swift
/// let reader = try CSVLineReader(path: "new_patients.csv")
/// while let count = try reader.nextLine({ bytes, line in line.count }) { print(reader.lineNumber, count) }
/// ```
public final class CSVLineReader {
    public let path: String
    /// 1-based number of the line most recently returned.
    public private(set) var lineNumber = 0
    /// Bytes consumed from the file so far.
    public private(set) var bytesRead = 0
    /// The file's size when it was opened (for progress).
    public let fileSize: Int

    private let file: UnsafeMutablePointer<FILE>
    private var buffer: [UInt8]
    private var start = 0, end = 0
    private var atEnd = false, sawFirstChunk = false
    private let onChunk: ((UnsafeRawBufferPointer) -> Void)?

    public init(path: String, chunkSize: Int = 1 << 20, onChunk: ((UnsafeRawBufferPointer) -> Void)? = nil) throws(DatasetError) {
        // Only a regular file: a FIFO or a device would block or never end (`DataFile`).
        let (fd, size) = try DataFile.open(path)
        guard let file = fdopen(fd, "rb") else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw .unreadableFile(path: path, reason: reason)
        }
        self.path = path
        self.file = file
        self.fileSize = size
        self.buffer = [UInt8](repeating: 0, count: max(chunkSize, 64))
        self.onChunk = onChunk
    }

    deinit { fclose(file) }

    /// Calls `body(bytes, range)` with the next non-blank line (without its line end) and returns its
    /// result, or returns nil at the end of the file. `bytes` is valid only during the call.
    public func nextLine<R>(_ body: (UnsafeBufferPointer<UInt8>, Range<Int>) throws -> R) throws -> R? {
        while true {
            var offset = 0   // from `start`: refilling moves the unread bytes to the front
            while true {
                while start + offset < end && buffer[start + offset] != UInt8(ascii: "\n") { offset += 1 }
                if start + offset < end || atEnd { break }
                try refill()
            }
            if start >= end && atEnd { return nil }
            let lineStart = start
            var contentEnd = start + offset
            start = min(contentEnd + 1, end)
            lineNumber += 1
            if contentEnd > lineStart && buffer[contentEnd - 1] == UInt8(ascii: "\r") { contentEnd -= 1 }
            var blank = true
            for k in lineStart..<contentEnd where buffer[k] != UInt8(ascii: " ") && buffer[k] != UInt8(ascii: "\t") {
                blank = false
                break
            }
            if blank { continue }
            return try buffer.withUnsafeBufferPointer { try body($0, lineStart..<contentEnd) }
        }
    }

    /// Moves the unread bytes to the front (growing the buffer if one line fills it) and reads more.
    private func refill() throws {
        let pending = end - start
        if start > 0 {
            buffer.withUnsafeMutableBufferPointer { b in
                if pending > 0 { (b.baseAddress!).update(from: b.baseAddress! + start, count: pending) }
            }
            end = pending
            start = 0
        }
        if end == buffer.count { buffer.append(contentsOf: [UInt8](repeating: 0, count: buffer.count)) }
        let room = buffer.count - end
        let got = buffer.withUnsafeMutableBufferPointer { b in fread(b.baseAddress! + end, 1, room, file) }
        if got < room {
            guard ferror(file) == 0 else { throw DatasetError.unreadableFile(path: path, reason: "I/O error while reading") }
            atEnd = true
        }
        if got > 0 {
            buffer.withUnsafeBufferPointer { b in onChunk?(UnsafeRawBufferPointer(start: b.baseAddress! + end, count: got)) }
        }
        if !sawFirstChunk {
            sawFirstChunk = true
            // A UTF-8 byte-order mark (Excel writes one) is not part of the first column's name.
            if got >= 3 && buffer[0] == 0xEF && buffer[1] == 0xBB && buffer[2] == 0xBF { start = 3 }
        }
        end += got
        bytesRead += got
    }
}
