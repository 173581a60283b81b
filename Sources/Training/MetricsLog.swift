#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Appends one JSON object per line to `OUT/metrics.jsonl` (rank 0 only).
///
/// ```swift
/// let log = try MetricsLog(path: "runs/x/metrics.jsonl")
/// try log.append(["step": 10, "train_loss": 0.41])
/// ```
public final class MetricsLog {
    public let path: String
    private let handle: FileHandle

    public init(path: String, truncate: Bool = true) throws {
        self.path = path
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | (truncate ? O_TRUNC : 0), 0o644)
        guard fd >= 0 else {
            throw TrainingError("\(path): cannot open the metrics file for writing (\(String(cString: strerror(errno))))")
        }
        handle = FileHandle(fileDescriptor: fd, closeOnDealloc: false)
    }

    deinit { try? handle.close() }

    /// Writes one record as a line of JSON with sorted keys.
    public func append(_ record: [String: Any]) throws {
        var data = try JSONSerialization.data(withJSONObject: record, options: [.sortedKeys])
        data.append(UInt8(ascii: "\n"))
        try handle.write(contentsOf: data)
    }

    /// Writes one Codable record as a line of JSON with sorted keys.
    public func append<Record: Encodable>(_ record: Record) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var data = try encoder.encode(record)
        data.append(UInt8(ascii: "\n"))
        try handle.write(contentsOf: data)
    }
}
