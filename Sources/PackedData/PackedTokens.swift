import TensorCore
import Datasets

/// A token pack (`TokenPack`) read as next-token windows: window `i` is tokens `i·context …
/// i·context + context`, inputs its first `context` and targets its last `context`, int64 — exactly
/// `TokenWindows`' windows and batches over the same tokens, read from disk one window (one `pread`)
/// at a time and checked block by block (`VerifiedShard`), so a rank's memory is its micro-batches.
///
/// ```swift
/// let windows = try PackedTokens(directory: "packs/language", context: 64)
/// let (inputs, targets) = try windows.batch(indices: [3, 0, 7])   // (3, 64) int64 each
/// ```
public final class PackedTokens: DataSource, @unchecked Sendable {
    public let pack: TokenPack
    public let context: Int
    public let count: Int
    private let shard: VerifiedShard

    public init(directory: String, context: Int, verification: PackVerification = .blocks) throws {
        pack = try TokenPack.read(from: directory)
        guard context >= 1, pack.tokens >= context + 1 else {
            throw PackError("\(directory): \(pack.tokens) tokens do not fill one window of \(context + 1) (context \(context) + 1)")
        }
        self.context = context
        count = (pack.tokens - 1) / context
        shard = try VerifiedShard(path: directory + "/" + pack.shard.file, entry: pack.shard, blockBytes: pack.blockBytes, level: verification)
    }

    public func batch(indices: ArraySlice<Int>) throws -> (inputs: Tensor, targets: Tensor) {
        let m = indices.count, width = context, bytes = pack.tokenBytes
        if let bad = indices.first(where: { $0 < 0 || $0 >= count }) {
            throw PackError("window \(bad) is not one of the \(count) windows (0..<\(count))")
        }
        let inputs = Tensor(uninitializedShape: [m, width], dtype: .int64)
        let targets = Tensor(uninitializedShape: [m, width], dtype: .int64)
        let x = inputs.int64s, y = targets.int64s
        var window = [UInt8](repeating: 0, count: (width + 1) * bytes)
        for (row, index) in indices.enumerated() {
            try window.withUnsafeMutableBytes { buffer in
                try shard.read(into: buffer, at: index * width * bytes)
                let xr = x + row * width, yr = y + row * width
                for j in 0...width {
                    let token = bytes == 2 ? Int64(UInt16(littleEndian: buffer.loadUnaligned(fromByteOffset: 2 * j, as: UInt16.self)))
                                           : Int64(UInt32(littleEndian: buffer.loadUnaligned(fromByteOffset: 4 * j, as: UInt32.self)))
                    if j < width { xr[j] = token }
                    if j > 0 { yr[j - 1] = token }
                }
            }
        }
        return (inputs, targets)
    }
}
