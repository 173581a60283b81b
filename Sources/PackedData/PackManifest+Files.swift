import Foundation
import Checkpointing

extension PackManifest {
    /// Reads and checks `DIR/manifest.json`: a folder without one is refused as not a complete pack
    /// (a packing run that was stopped leaves none), and a manifest whose numbers do not add up is
    /// refused before any shard is opened.
    public static func read(from directory: String) throws -> PackManifest {
        let path = directory + "/" + fileName
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw PackError("\(directory): no such packed data set (not a directory)")
        }
        guard let bytes = FileManager.default.contents(atPath: path) else {
            throw PackError("\(directory): not a complete packed data set (no \(fileName); was packing stopped?)")
        }
        let manifest: PackManifest
        do {
            manifest = try JSONDecoder().decode(PackManifest.self, from: bytes)
        } catch {
            throw PackError("\(path): not a Lockstep pack manifest (\(Self.reason(error)))")
        }
        try manifest.check(path)
        return manifest
    }

    /// Writes `DIR/manifest.json` atomically: the last file of a pack, its mark of completeness.
    func write(to directory: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFile.write(Array(try encoder.encode(self)) + [0x0A], to: directory + "/" + Self.fileName)
    }

    private func check(_ path: String) throws {
        func refuse(_ problem: String) -> PackError { PackError("\(path): \(problem)") }
        guard format == Self.currentFormat else { throw refuse("format \"\(format)\", expected \"\(Self.currentFormat)\"") }
        guard features > 0, rowBytes == 4 * (features + 1) else { throw refuse("row_bytes \(rowBytes) is not 4 × (features \(features) + 1)") }
        guard blockBytes > 0, blockBytes % 4096 == 0 else { throw refuse("block_bytes \(blockBytes) is not a positive multiple of 4096") }
        do { try preprocessing.check(source: path) } catch { throw PackError("\(error)") }   // it becomes the run's preprocessing.json
        guard preprocessing.encodedWidth == features else {
            throw refuse("the preprocessing encodes \(preprocessing.encodedWidth) features, the rows hold \(features)")
        }
        guard source.rows == train.rows + validation.rows else {
            throw refuse("\(train.rows) training + \(validation.rows) validation rows are not the source's \(source.rows)")
        }
        for (name, part) in [("train", train), ("validation", validation)] {
            guard part.rows >= 0, part.shards.reduce(0, { $0 + $1.rows }) == part.rows else {
                throw refuse("the \(name) shards do not add up to its \(part.rows) rows")
            }
            for shard in part.shards {
                guard !shard.file.isEmpty, !shard.file.contains("/"), !shard.file.hasPrefix("."), shard.rows > 0 else {
                    throw refuse("shard name \"\(shard.file)\" is not a file of the pack, or the shard is empty")
                }
                guard shard.bytes == shard.rows * rowBytes else { throw refuse("\(shard.file): \(shard.bytes) bytes are not \(shard.rows) rows of \(rowBytes)") }
            }
        }
        guard train.rows > 0 else { throw refuse("no training rows") }
    }

    private static func reason(_ error: Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, _): "missing \"\(key.stringValue)\""
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
            "\(context.codingPath.map(\.stringValue).joined(separator: ".")): \(context.debugDescription)"
        case DecodingError.dataCorrupted: "not valid JSON"
        default: "unreadable"
        }
    }
}
