import Foundation
import Crypto
import Checkpointing

/// One shard file of a pack, read with positioned reads and trusted block by block: its size and its
/// `.blocks` (a SHA-256 per `blockBytes`) are checked against the manifest when it is opened, and a
/// block is read whole and hashed the first time any byte of it is asked for. Shared by row packs
/// (`PackedRows`) and token packs (`PackedTokens`).
///
/// Why reads and not a memory map: a mapped page counts towards the process's RSS while it is mapped,
/// and Linux maps a whole large folio (up to 2 MiB) around a faulting read, so random rows map the
/// whole file within a few thousand reads; unmapping to stay under a budget cost 16–21 µs a row here
/// against about 2 µs for a `pread` from the page cache (docs/datasets.md, "Packed data").
final class VerifiedShard: @unchecked Sendable {
    let path: String
    let bytes: Int
    private let file: RegularFile
    private let blockBytes: Int
    private let digests: [UInt8]   // 32 bytes a block
    private let lock = NSLock()     // guards `verified` and `scratch`: ranks may be threads sharing a source
    private var verified: [UInt64]
    private var scratch: [UInt8] = []

    init(path: String, entry: PackManifest.Shard, blockBytes: Int, level: PackVerification) throws {
        let file = try RegularFile(path: path)
        guard file.size == entry.bytes else {
            file.close()
            throw PackError("\(path): \(file.size) bytes, the manifest says \(entry.bytes) (\(file.size < entry.bytes ? "truncated" : "grown"))")
        }
        let blocks = (entry.bytes + blockBytes - 1) / blockBytes
        let blocksPath = (path.hasSuffix(".bin") ? String(path.dropLast(4)) : path) + ".blocks"
        guard let digests = FileManager.default.contents(atPath: blocksPath).map(Array.init),
              digests.count == 32 * blocks, SHA256.hash(data: digests).hex == entry.blocksSHA256 else {
            file.close()
            throw PackError("\(blocksPath): missing or altered (its digest is not the manifest's)")
        }
        (self.path, bytes, self.file, self.blockBytes, self.digests) = (path, entry.bytes, file, blockBytes, digests)
        verified = [UInt64](repeating: level == .size ? ~0 : 0, count: (blocks + 63) / 64)
        if level == .full { try verifyWhole(sha256: entry.sha256) }
    }

    deinit { file.close() }

    /// Fills `buffer` with the bytes from `offset` on, after checking the blocks they lie in.
    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) throws {
        guard !buffer.isEmpty else { return }
        try lock.withLock { try verify(offset..<(offset + buffer.count)) }   // held for I/O only to verify a block
        try read(buffer, at: offset)
    }

    private func read(_ buffer: UnsafeMutableRawBufferPointer, at offset: Int) throws {
        do { try file.read(into: buffer, at: offset) } catch {
            throw PackError("\(path): cannot read: \(error)")   // e.g. truncated since it was opened
        }
    }

    /// Hashes the blocks under `range` that have not been checked yet.
    private func verify(_ range: Range<Int>) throws {
        for block in (range.lowerBound / blockBytes)...((range.upperBound - 1) / blockBytes)
        where verified[block >> 6] & (1 << UInt64(block & 63)) == 0 {
            let start = block * blockBytes, length = min(blockBytes, bytes - start)
            if scratch.count < length { scratch = [UInt8](repeating: 0, count: blockBytes) }
            let digest = try scratch.withUnsafeMutableBytes { buffer in
                let part = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<length])
                try read(part, at: start)
                return SHA256.hash(data: UnsafeRawBufferPointer(part))
            }
            guard digest.elementsEqual(digests[(32 * block)..<(32 * block + 32)]) else {
                throw PackError("\(path): altered: bytes \(start)..<\(start + length) do not match their digest")
            }
            verified[block >> 6] |= 1 << UInt64(block & 63)
        }
    }

    /// Hashes the whole file against the manifest's SHA-256 (and marks every block checked).
    private func verifyWhole(sha256: String) throws {
        var hasher = SHA256(), chunk = [UInt8](repeating: 0, count: min(bytes, 8 << 20))
        for start in stride(from: 0, to: bytes, by: chunk.count) {
            let n = min(chunk.count, bytes - start)
            try chunk.withUnsafeMutableBytes { buffer in
                let part = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<n])
                try read(part, at: start)
                hasher.update(bufferPointer: UnsafeRawBufferPointer(part))
            }
        }
        guard hasher.finalize().hex == sha256 else { throw PackError("\(path): altered (its SHA-256 is not the manifest's)") }
        verified = verified.map { _ in ~0 }
    }
}

/// How much of a pack is checked: each shard's size (and block list) only, also each block on its
/// first read (the default), or every byte when it is opened (`lockstep data verify`).
public enum PackVerification: String, Sendable, CaseIterable { case size, blocks, full }
