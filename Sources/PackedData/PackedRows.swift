import Foundation
import Crypto
import Checkpointing
import TensorCore
import Datasets

/// One part (train or validation) of a packed data set as a `DataSource`: row `i` is read from its
/// shard with one positioned read when a micro-batch asks for it, so a rank reads only the rows of its
/// own micro-batches and its resident memory does not grow with the data set.
///
/// Trust, in three levels (`Verification`): on open, every shard's size and its block digests against
/// the manifest (`.size` stops at the size); by default each 1 MiB block is read whole and hashed the
/// first time a row in it is read, and a block that differs from its digest fails that batch with one
/// line naming the shard (`.blocks`); `.full` hashes every shard on open (`lockstep data verify`).
///
/// Why reads and not a memory map: a mapped page counts towards the process's RSS while it is mapped,
/// and Linux maps a whole large folio (up to 2 MiB) around a faulting row, so random rows map the
/// whole file within a few thousand reads; unmapping to stay under a budget cost 16–21 µs a row here
/// against 1.2–2 µs for a `pread` of the row from the page cache (docs/datasets.md, "Packed data").
///
/// ```swift
/// let pack = try PackedDataSet(directory: "packs/patients")
/// let (x, y) = try pack.train.batch(indices: [0, 17, 4])   // (3, F) inputs, (3, 1) labels
/// ```
public final class PackedRows: LabeledRows, @unchecked Sendable {
    public enum Verification: String, Sendable, CaseIterable { case size, blocks, full }

    public let count: Int
    public let featureCount: Int
    public let task: TabularDataset.Task
    public let rowBytes: Int

    private let shards: [Shard]
    private let rowsPerShard: Int   // every shard but the last holds this many
    private let blockBytes: Int
    private let lock = NSLock()   // guards the verification state: ranks may be threads sharing a source
    private var block: [UInt8] = []   // the block being verified
    /// Rows read in one `pread` when a batch asks for consecutive indices (evaluation does).
    static let runRows = 1024

    private final class Shard {
        let name: String
        let file: RegularFile
        let digests: [UInt8]   // 32 bytes a block
        var verified: [UInt64]
        init(name: String, file: RegularFile, digests: [UInt8], blocks: Int) {
            (self.name, self.file, self.digests) = (name, file, digests)
            verified = [UInt64](repeating: 0, count: (blocks + 63) / 64)
        }
        deinit { file.close() }
    }

    init(directory: String, manifest: PackManifest, part: PackManifest.Part, verification: Verification) throws {
        (count, featureCount, task) = (part.rows, manifest.features, manifest.preprocessing.datasetTask)
        (rowBytes, blockBytes) = (manifest.rowBytes, manifest.blockBytes)
        rowsPerShard = part.shards.first?.rows ?? 1
        for shard in part.shards.dropLast() where shard.rows != rowsPerShard {
            throw PackError("\(directory)/\(shard.file): \(shard.rows) rows; every shard but the last must hold \(rowsPerShard)")
        }
        shards = try part.shards.map { entry in
            let path = directory + "/" + entry.file
            let file = try RegularFile(path: path)
            guard file.size == entry.bytes else {
                file.close()
                throw PackError("\(path): \(file.size) bytes, the manifest says \(entry.bytes) (\(file.size < entry.bytes ? "truncated" : "grown"))")
            }
            let blocks = (entry.bytes + manifest.blockBytes - 1) / manifest.blockBytes
            let blocksPath = String(path.dropLast(4)) + ".blocks"
            guard let digests = FileManager.default.contents(atPath: blocksPath).map(Array.init),
                  digests.count == 32 * blocks, SHA256.hash(data: digests).hex == entry.blocksSHA256 else {
                throw PackError("\(blocksPath): missing or altered (its digest is not the manifest's)")
            }
            return Shard(name: path, file: file, digests: digests, blocks: blocks)
        }
        switch verification {
        case .size: for shard in shards { shard.verified = shard.verified.map { _ in ~0 } }
        case .blocks: break
        case .full: try verifyAll(against: part.shards, directory: directory)
        }
    }

    /// Hashes every shard whole against the manifest (and marks its blocks verified).
    func verifyAll(against entries: [PackManifest.Shard], directory: String) throws {
        var chunk = [UInt8](repeating: 0, count: 8 << 20)
        for (shard, entry) in zip(shards, entries) {
            var hasher = SHA256()
            for start in stride(from: 0, to: shard.file.size, by: chunk.count) {
                let n = min(chunk.count, shard.file.size - start)
                try chunk.withUnsafeMutableBytes { buffer in
                    let part = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<n])
                    try read(shard, into: part, at: start)
                    hasher.update(bufferPointer: UnsafeRawBufferPointer(part))
                }
            }
            guard hasher.finalize().hex == entry.sha256 else { throw PackError("\(shard.name): altered (its SHA-256 is not the manifest's)") }
            shard.verified = shard.verified.map { _ in ~0 }
        }
    }

    /// The rows at `indices` (each in `0..<count`): inputs `(m, F)` and targets `(m, 1)`, or `(m)`
    /// class indices for multiclass — `TabularDataset`'s shapes.
    public func batch(indices: ArraySlice<Int>) throws -> (inputs: Tensor, targets: Tensor) {
        let m = indices.count, width = featureCount, stride = width + 1
        let inputs = Tensor(uninitializedShape: [m, width])
        let targets: Tensor
        if case .multiclass = task { targets = Tensor(uninitializedShape: [m]) } else { targets = Tensor(uninitializedShape: [m, 1]) }
        let x = inputs.floats, y = targets.floats
        let list = Array(indices)
        for index in list { precondition(index >= 0 && index < count, "sample index \(index) out of range for \(count) rows") }
        var rows = [Float](repeating: 0, count: stride * min(m, Self.runRows))
        var k = 0
        while k < m {
            // A run of consecutive indices in one shard is one read.
            let first = list[k], shard = first / rowsPerShard
            var run = 1
            while k + run < m, run < Self.runRows, list[k + run] == first + run, (first + run) / rowsPerShard == shard { run += 1 }
            try rows.withUnsafeMutableBufferPointer { r in
                try readRows(first, count: run, into: UnsafeMutableRawBufferPointer(start: r.baseAddress!, count: run * rowBytes))
                for j in 0..<run {
                    (x + (k + j) * width).update(from: r.baseAddress! + j * stride, count: width)
                    y[k + j] = r[j * stride + width]
                }
            }
            k += run
        }
        return (inputs, targets)
    }

    /// Reads `count` consecutive rows of one shard from `first` on into `buffer`.
    private func readRows(_ first: Int, count: Int, into buffer: UnsafeMutableRawBufferPointer) throws {
        let shard = shards[first / rowsPerShard], offset = (first % rowsPerShard) * rowBytes
        let bytes = offset..<(offset + count * rowBytes)
        try lock.withLock { try verify(shard, bytes: bytes) }   // the lock is held for I/O only to verify a block
        try read(shard, into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<bytes.count]), at: offset)
    }

    private func read(_ shard: Shard, into buffer: UnsafeMutableRawBufferPointer, at offset: Int) throws {
        do { try shard.file.read(into: buffer, at: offset) } catch {
            throw PackError("\(shard.name): cannot read: \(error)")   // e.g. truncated since it was opened
        }
    }

    /// Hashes the blocks under `bytes` that have not been checked yet.
    private func verify(_ shard: Shard, bytes: Range<Int>) throws {
        for block in (bytes.lowerBound / blockBytes)...((bytes.upperBound - 1) / blockBytes)
        where shard.verified[block >> 6] & (1 << UInt64(block & 63)) == 0 {
            let start = block * blockBytes, length = min(blockBytes, shard.file.size - start)
            if self.block.count < length { self.block = [UInt8](repeating: 0, count: blockBytes) }
            let digest = try self.block.withUnsafeMutableBytes { buffer in
                let part = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<length])
                try read(shard, into: part, at: start)
                return SHA256.hash(data: UnsafeRawBufferPointer(part))
            }
            guard digest.elementsEqual(shard.digests[(32 * block)..<(32 * block + 32)]) else {
                throw PackError("\(shard.name): altered: bytes \(start)..<\(start + length) do not match their digest")
            }
            shard.verified[block >> 6] |= 1 << UInt64(block & 63)
        }
    }
}

/// A packed data set opened for reading: its manifest and its two parts.
public struct PackedDataSet: Sendable {
    public let directory: String
    public let manifest: PackManifest
    public let train: PackedRows
    public let validation: PackedRows

    public init(directory: String, verification: PackedRows.Verification = .blocks) throws {
        self.directory = directory
        manifest = try PackManifest.read(from: directory)
        train = try PackedRows(directory: directory, manifest: manifest, part: manifest.train, verification: verification)
        validation = try PackedRows(directory: directory, manifest: manifest, part: manifest.validation, verification: verification)
    }
}
