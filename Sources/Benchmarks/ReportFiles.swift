import Foundation
import Checkpointing
import Training

/// Writes a benchmark's outputs (CSV, JSON, SVG) atomically, after checking that the folder exists,
/// so that a bad path is one clear error and nothing is half-written.
///
/// ```swift
/// try ReportFiles.write(report.csv, to: "runs/allreduce.csv")
/// let json = try ReportFiles.json(report)
/// ```
public enum ReportFiles {
    /// Throws `BenchmarkError` naming the path when its folder is missing (before any work is done).
    public static func checkWritable(_ path: String, what: String) throws {
        let folder = (path as NSString).deletingLastPathComponent
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder.isEmpty ? "." : folder, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw BenchmarkError("cannot write \(what) '\(path)': the folder '\(folder)' does not exist")
        }
        guard !(path as NSString).lastPathComponent.isEmpty, !path.hasSuffix("/") else {
            throw BenchmarkError("cannot write \(what) '\(path)': it names a folder, not a file")
        }
    }

    public static func write(_ text: String, to path: String) throws {
        do {
            try AtomicFile.write(Array(text.utf8), to: path)
        } catch {
            throw BenchmarkError("cannot write '\(path)': \(error)")
        }
    }

    /// Pretty, key-sorted JSON (stable diffs when the figures are committed), through `JSONOutput`:
    /// every figure is a finite number (a ratio of measured times), and one that is not is refused.
    public static func json<T: Encodable>(_ value: T) throws -> String {
        String(decoding: try JSONOutput.pretty(value), as: UTF8.self)
    }

    /// One-line JSON, for a worker process to hand its result to the parent on stdout.
    public static func compactJSON<T: Encodable>(_ value: T) throws -> String {
        try JSONOutput.line(value)
    }

    public static func decode<T: Decodable>(_ type: T.Type, from data: Data, source: String) throws -> T {
        do {
            return try JSONDecoder().decode(type, from: data)
        } catch {
            throw BenchmarkError("\(source) is not a \(type) JSON file (\(error.localizedDescription))")
        }
    }

    public static func read<T: Decodable>(_ type: T.Type, path: String, what: String) throws -> T {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw BenchmarkError("cannot read \(what) '\(path)': no such file")
        }
        return try decode(type, from: data, source: "'\(path)'")
    }
}
