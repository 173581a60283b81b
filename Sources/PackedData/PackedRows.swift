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
    /// Rows read in one `pread` when a batch asks for consecutive indices (evaluation does).
    static let runRows = 1024

    init(directory: String, manifest: PackManifest, part: PackManifest.Part, verification: Verification) throws {
        (count, featureCount, task, rowBytes) = (part.rows, manifest.features, manifest.preprocessing.datasetTask, manifest.rowBytes)
        rowsPerShard = part.shards.first?.rows ?? 1
        for shard in part.shards.dropLast() where shard.rows != rowsPerShard {
            throw PackError("\(directory)/\(shard.file): \(shard.rows) rows; every shard but the last must hold \(rowsPerShard)")
        }
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
