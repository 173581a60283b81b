import Foundation
import TensorCore
import Datasets

/// One part (train or validation) of a packed data set as a `DataSource`: row `i` is read from its
/// shard with one positioned read when a micro-batch asks for it, so a rank reads only the rows of its
/// own micro-batches and its resident memory does not grow with the data set.
///
/// Trust, in three levels (`Verification`, see `VerifiedShard`): on open, every shard's size and its
/// block digests against the manifest (`.size` stops there); by default each 1 MiB block is hashed the
/// first time a row in it is read, and a block that differs from its digest fails that batch with one
/// line naming the shard (`.blocks`); `.full` hashes every shard on open (`lockstep data verify`).
///
/// ```swift
/// let pack = try PackedDataSet(directory: "packs/patients")
/// let (x, y) = try pack.train.batch(indices: [0, 17, 4])   // (3, F) inputs, (3, 1) labels
/// ```
public final class PackedRows: LabeledRows, @unchecked Sendable {
    public typealias Verification = PackVerification

    public let count: Int
    public let featureCount: Int
    public let task: TabularDataset.Task
    public let rowBytes: Int

    private let shards: [VerifiedShard]
    private let rowsPerShard: Int   // every shard but the last holds this many
    private let cache: BlockCache
    /// Rows read in one `pread` when a batch asks for consecutive indices (evaluation does).
    static let runRows = 1024

    init(directory: String, manifest: PackManifest, part: PackManifest.Part, verification: Verification) throws {
        (count, featureCount, task, rowBytes) = (part.rows, manifest.features, manifest.preprocessing.datasetTask, manifest.rowBytes)
        rowsPerShard = part.shards.first?.rows ?? 1
        for shard in part.shards.dropLast() where shard.rows != rowsPerShard {
            throw PackError("\(directory)/\(shard.file): \(shard.rows) rows; every shard but the last must hold \(rowsPerShard)")
        }
        cache = BlockCache(rowFloats: manifest.rowBytes / MemoryLayout<Float>.stride)
        shards = try part.shards.map {
            try VerifiedShard(path: directory + "/" + $0.file, entry: $0, blockBytes: manifest.blockBytes, level: verification)
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
        for index in indices { precondition(index >= 0 && index < count, "sample index \(index) out of range for \(count) rows") }
        // A batch whose rows fall in at most half as many blocks of `blockRows` (what `data.order:
        // blocks` gives: a 128-row micro-batch in at most 16 blocks) reads whole blocks, each once, kept for
        // the next micro-batches; scattered rows (`keyed`) are read one by one.
        // One Int per row, block above place in the batch, so that a plain sort groups the blocks.
        var byBlock = [Int](repeating: 0, count: m)
        for (k, index) in indices.enumerated() { byBlock[k] = (index / BlockCache.blockRows) << Self.placeBits | k }
        byBlock.sort()
        var distinct = m > 0 ? 1 : 0
        for j in byBlock.indices.dropFirst() where byBlock[j] >> Self.placeBits != byBlock[j - 1] >> Self.placeBits { distinct += 1 }
        if m >= 4, m < 1 << Self.placeBits, 2 * distinct <= m {
            try readByBlock(indices, byBlock, x: x, y: y)
            return (inputs, targets)
        }
        var rows = [Float](repeating: 0, count: stride * min(m, Self.runRows))
        var k = 0, at = indices.startIndex
        while k < m {
            // A run of consecutive indices in one shard is one read.
            let first = indices[at], shard = first / rowsPerShard
            var run = 1
            while k + run < m, run < Self.runRows, indices[at + run] == first + run, (first + run) / rowsPerShard == shard { run += 1 }
            try rows.withUnsafeMutableBufferPointer { r in
                try readRows(first, count: run, into: UnsafeMutableRawBufferPointer(start: r.baseAddress!, count: run * rowBytes))
                for j in 0..<run {
                    (x + (k + j) * width).update(from: r.baseAddress! + j * stride, count: width)
                    y[k + j] = r[j * stride + width]
                }
            }
            k += run
            at += run
        }
        return (inputs, targets)
    }

    /// Bits of a row's place in the batch in `batch`'s sort keys.
    static let placeBits = 24

    /// The rows of `indices` block by block (`byBlock`: each row's block and place in the batch, as
    /// `block << placeBits | place`, sorted), each block read whole at most once, through the cache.
    private func readByBlock(_ indices: ArraySlice<Int>, _ byBlock: [Int],
                             x: UnsafeMutablePointer<Float>, y: UnsafeMutablePointer<Float>) throws {
        let width = featureCount, stride = width + 1
        cache.lock.lock()
        defer { cache.lock.unlock() }
        var j = 0
        while j < byBlock.count {
            let block = byBlock[j] >> Self.placeBits
            let (rows, held) = try cache.block(block) { block, buffer in
                let lo = block * BlockCache.blockRows, hi = min(lo + BlockCache.blockRows, count)
                try readSpan(lo, count: hi - lo, into: buffer)
                return hi - lo
            }
            while j < byBlock.count, byBlock[j] >> Self.placeBits == block {
                let k = byBlock[j] & ((1 << Self.placeBits) - 1), offset = indices[indices.startIndex + k] % BlockCache.blockRows
                precondition(offset < held, "row \(indices[indices.startIndex + k]) beyond its block's \(held) rows")
                (x + k * width).update(from: rows + offset * stride, count: width)
                y[k] = rows[offset * stride + width]
                j += 1
            }
        }
    }

    /// Reads `count` consecutive rows from `first` on into `buffer`, across shard boundaries.
    private func readSpan(_ first: Int, count: Int, into buffer: UnsafeMutableRawBufferPointer) throws {
        var done = 0
        while done < count {
            let row = first + done, n = min(count - done, rowsPerShard - row % rowsPerShard)
            try readRows(row, count: n, into: UnsafeMutableRawBufferPointer(rebasing: buffer[(done * rowBytes)...]))
            done += n
        }
    }

    /// Reads `count` consecutive rows of one shard from `first` on into `buffer`.
    private func readRows(_ first: Int, count: Int, into buffer: UnsafeMutableRawBufferPointer) throws {
        try shards[first / rowsPerShard].read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<(count * rowBytes)]),
                                              at: (first % rowsPerShard) * rowBytes)
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
