import TensorCore

/// Token windows as a trainer's data: the micro-batch of windows `indices` is `inputs` (m, context)
/// and `targets` (m, context), int64 token ids, row r holding window `indices[r]` (target j the token
/// after input j) — what `Tensor.embedding` and `Loss.crossEntropy` take.
///
/// ```swift
/// let (inputs, targets) = try windows.batch(indices: [3, 0, 7])   // (3, 64) int64 each
/// ```
extension TokenWindows: DataSource {
    public func batch(indices: ArraySlice<Int>) throws -> (inputs: Tensor, targets: Tensor) {
        let m = indices.count, n = count
        if let bad = indices.first(where: { $0 < 0 || $0 >= n }) {
            throw DatasetError.invalidSequenceData("window \(bad) is not one of the \(n) windows (0..<\(n))")
        }
        let inputs = Tensor(uninitializedShape: [m, context], dtype: .int64)
        let targets = Tensor(uninitializedShape: [m, context], dtype: .int64)
        let x = inputs.int64s, y = targets.int64s, width = context
        tokens.withUnsafeBufferPointer { source in
            for (row, window) in indices.enumerated() {
                let from = source.baseAddress! + window * width, xr = x + row * width, yr = y + row * width
                for j in 0..<width {
                    xr[j] = Int64(from[j])
                    yr[j] = Int64(from[j + 1])
                }
            }
        }
        return (inputs, targets)
    }
}
