import Foundation
import Crypto
import Checkpointing
import TensorCore
import Datasets

/// One part (train or validation) of a packed data set as a `DataSource`: row `i` is read from its
/// shard's memory mapping when a micro-batch asks for it, so a rank touches only the rows of its own
/// micro-batches and its resident memory does not grow with the data set.
///
/// Trust, in three levels (`Verification`): on open, every shard's size and its block digests against
/// the manifest (`.size` stops at the size); by default each 1 MiB block is hashed the first time a
/// row in it is read, and a block that differs from its digest fails that batch with one line naming
/// the shard (`.blocks`); `.full` hashes every shard on open (`lockstep data verify`).
///
/// Resident memory: mapped pages count towards a process's RSS while it maps them, and Linux maps a
/// whole large folio around a faulting row, so after `releaseRows` rows a shard's mapping is dropped
/// (MADV_DONTNEED: the pages stay in the page cache; the next touch maps them again).
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
    /// Rows read before a shard's pages are unmapped from this process.
    public var releaseRows = 4096

    private let shards: [Shard]
    private let rowsPerShard: Int   // every shard but the last holds this many
    private let blockBytes: Int
    private let lock = NSLock()   // simulated ranks are threads sharing one data source

    private final class Shard {
        let name: String
        let file: MappedFile
        let digests: [UInt8]   // 32 bytes a block
        var verified: [UInt64]
        var touched = 0
        init(name: String, file: MappedFile, digests: [UInt8], blocks: Int) {
            (self.name, self.file, self.digests) = (name, file, digests)
            verified = [UInt64](repeating: 0, count: (blocks + 63) / 64)
        }
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
            let file = try MappedFile(path: path, expectedBytes: entry.bytes)
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
        for (shard, entry) in zip(shards, entries) {
            var hasher = SHA256()
            if let base = shard.file.base {
                for start in stride(from: 0, to: shard.file.bytes, by: 32 << 20) {
                    hasher.update(bufferPointer: UnsafeRawBufferPointer(start: base + start, count: min(32 << 20, shard.file.bytes - start)))
                    shard.file.release()
                }
            }
            guard hasher.finalize().hex == entry.sha256 else { throw PackError("\(shard.name): altered (its SHA-256 is not the manifest's)") }
            shard.verified = shard.verified.map { _ in ~0 }
        }
    }

    /// The rows at `indices` (each in `0..<count`): inputs `(m, F)` and targets `(m, 1)`, or `(m)`
    /// class indices for multiclass — `TabularDataset`'s shapes.
    public func batch(indices: ArraySlice<Int>) throws -> (inputs: Tensor, targets: Tensor) {
        let m = indices.count, width = featureCount
        let inputs = Tensor(uninitializedShape: [m, width])
        let targets: Tensor
        if case .multiclass = task { targets = Tensor(uninitializedShape: [m]) } else { targets = Tensor(uninitializedShape: [m, 1]) }
        let x = inputs.floats, y = targets.floats
        lock.lock()
        defer { lock.unlock() }
        for (k, index) in indices.enumerated() {
            precondition(index >= 0 && index < count, "sample index \(index) out of range for \(count) rows")
            let shard = shards[index / rowsPerShard], offset = (index % rowsPerShard) * rowBytes
            try verify(shard, bytes: offset..<(offset + rowBytes))
            let row = (shard.file.base! + offset).assumingMemoryBound(to: Float.self)
            (x + k * width).update(from: row, count: width)
            y[k] = row[width]
            shard.touched += 1
            if shard.touched >= releaseRows {
                shard.file.release()
                shard.touched = 0
            }
        }
        return (inputs, targets)
    }

    /// Hashes the blocks under `bytes` that have not been checked yet.
    private func verify(_ shard: Shard, bytes: Range<Int>) throws {
        for block in (bytes.lowerBound / blockBytes)...((bytes.upperBound - 1) / blockBytes)
        where shard.verified[block >> 6] & (1 << UInt64(block & 63)) == 0 {
            let start = block * blockBytes, length = min(blockBytes, shard.file.bytes - start)
            let digest = SHA256.hash(data: UnsafeRawBufferPointer(start: shard.file.base! + start, count: length))
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
