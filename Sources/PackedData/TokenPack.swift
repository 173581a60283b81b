import Foundation
import Checkpointing

/// A token stream packed for next-token training (`PackedTokens`): `tokens-00000.bin` holds the
/// tokens as little-endian uint16 (a vocabulary of at most 65,536) or uint32, `tokens-00000.blocks`
/// its per-block SHA-256s, and `manifest.json` (written last, atomically) the count, width and
/// vocabulary with the shard's digests — the same files and checks as a row pack, one token a row.
///
/// ```swift
/// let manifest = try TokenPack.write(language.tokens(0..<1_000_000), vocabulary: 64, to: "packs/language")
/// let windows = try PackedTokens(directory: "packs/language", context: 64)   // the windows of TokenWindows
/// ```
public struct TokenPack: Codable, Sendable, Equatable {
    public static let currentFormat = "lockstep-tokens-v1"

    public var format: String
    public var tokens: Int
    /// Bytes per token: 2 or 4.
    public var tokenBytes: Int
    public var vocabulary: Int
    public var blockBytes: Int
    public var shard: PackManifest.Shard

    enum CodingKeys: String, CodingKey {
        case format, tokens, vocabulary, shard
        case tokenBytes = "token_bytes", blockBytes = "block_bytes"
    }

    /// Writes `tokens` (each in `0..<vocabulary`) into a new or empty `directory`, streaming: memory is
    /// one block. A token out of range is refused naming its position; a failure leaves no manifest.
    @discardableResult
    public static func write(_ tokens: some Sequence<Int32>, vocabulary: Int, to directory: String,
                             blockBytes: Int = PackManifest.defaultBlockBytes) throws -> TokenPack {
        guard vocabulary >= 1, vocabulary <= 1 << 32 else { throw PackError("a vocabulary of \(vocabulary) tokens is not in 1...2^32") }
        try PackFolder.prepare(directory)
        let width = vocabulary <= 1 << 16 ? 2 : 4
        let writer = ShardWriter(directory: directory, prefix: "tokens", rowBytes: width, shardRows: Int.max, blockBytes: blockBytes)
        do {
            var position = 0
            for token in tokens {
                guard token >= 0, Int(token) < vocabulary else {
                    throw PackError("token \(token) at position \(position) is not in the vocabulary 0..<\(vocabulary)")
                }
                if width == 2 {
                    try withUnsafeBytes(of: UInt16(token).littleEndian) { try writer.append($0) }
                } else {
                    try withUnsafeBytes(of: UInt32(token).littleEndian) { try writer.append($0) }
                }
                position += 1
            }
            let part = try writer.finish()
            guard let shard = part.shards.first, part.rows >= 2 else { throw PackError("\(directory): a token pack needs at least 2 tokens") }
            let pack = TokenPack(format: currentFormat, tokens: part.rows, tokenBytes: width, vocabulary: vocabulary,
                                 blockBytes: blockBytes, shard: shard)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try AtomicFile.write(Array(try encoder.encode(pack)) + [0x0A], to: directory + "/" + PackManifest.fileName)
            return pack
        } catch {
            for name in writer.files { try? FileManager.default.removeItem(atPath: directory + "/" + name) }
            throw error
        }
    }

    /// Reads and checks `DIR/manifest.json` of a token pack.
    public static func read(from directory: String) throws -> TokenPack {
        let path = directory + "/" + PackManifest.fileName
        guard let bytes = FileManager.default.contents(atPath: path) else {
            throw PackError("\(directory): not a complete token pack (no \(PackManifest.fileName); was packing stopped?)")
        }
        guard let pack = try? JSONDecoder().decode(TokenPack.self, from: bytes), pack.format == currentFormat else {
            throw PackError("\(path): not a Lockstep token pack manifest (format \(currentFormat))")
        }
        guard [2, 4].contains(pack.tokenBytes), pack.tokens >= 2, pack.shard.rows == pack.tokens,
              pack.shard.bytes == pack.tokens * pack.tokenBytes, pack.vocabulary >= 1, pack.blockBytes > 0, pack.blockBytes % 4096 == 0,
              pack.shard.file == "tokens-00000.bin" else {
            throw PackError("\(path): the numbers do not add up (tokens, token_bytes, shard size, block_bytes)")
        }
        return pack
    }
}
