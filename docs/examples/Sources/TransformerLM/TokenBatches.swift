import TensorCore
import Datasets

/// The training windows as a `DataSource`: window i's first `context` tokens are sample i's inputs,
/// the `context` tokens after each are its targets, both int64 (m, T) — what `GPT` and
/// `Loss.crossEntropy` take. Any rank can read any window, so the trainer's global order holds.
struct TokenBatches: DataSource {
    let windows: TokenWindows

    var count: Int { windows.count }

    func batch(indices: ArraySlice<Int>) throws -> (inputs: Tensor, targets: Tensor) {
        let t = windows.context
        let inputs = Tensor(uninitializedShape: [indices.count, t], dtype: .int64)
        let targets = Tensor(uninitializedShape: [indices.count, t], dtype: .int64)
        var window = [Int32](repeating: 0, count: t + 1)
        for (row, index) in indices.enumerated() {
            window.withUnsafeMutableBufferPointer { windows.copyWindow(index, into: $0) }
            for j in 0..<t {
                inputs.int64s[row * t + j] = Int64(window[j])
                targets.int64s[row * t + j] = Int64(window[j + 1])
            }
        }
        return (inputs, targets)
    }
}
