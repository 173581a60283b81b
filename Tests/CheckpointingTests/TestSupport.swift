import Foundation
import TensorCore
@testable import Checkpointing

/// A fresh directory under the system temporary directory, removed when the test is done.
final class TemporaryDirectory {
    let path: String

    init() throws {
        path = FileManager.default.temporaryDirectory.path + "/ckpt-test-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    func file(_ name: String) -> String { path + "/" + name }

    /// Names in the directory, sorted.
    func names() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: path).sorted()
    }
}

func readBytes(_ path: String) throws -> [UInt8] {
    [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
}

func writeBytes(_ bytes: [UInt8], to path: String) throws {
    try Data(bytes).write(to: URL(fileURLWithPath: path))
}

// Tensors from values, built only on `init(uninitializedShape:dtype:)` and `rawPointer` so that these
// tests do not depend on TensorCore's convenience initialisers (TensorCore has none for int64).
func int64Tensor(_ values: [Int64], shape: [Int]) -> Tensor { tensor(values, shape: shape, dtype: .int64) }
func float32Tensor(_ values: [Float], shape: [Int]) -> Tensor { tensor(values, shape: shape, dtype: .float32) }
func float64Tensor(_ values: [Double], shape: [Int]) -> Tensor { tensor(values, shape: shape, dtype: .float64) }

private func tensor<T>(_ values: [T], shape: [Int], dtype: DType) -> Tensor {
    let t = Tensor(uninitializedShape: shape, dtype: dtype)
    precondition(t.count == values.count && MemoryLayout<T>.stride == dtype.byteWidth)
    let p = t.rawPointer.assumingMemoryBound(to: T.self)
    for (i, v) in values.enumerated() { p[i] = v }
    return t
}

/// A small archive with every dtype, a scalar, an empty tensor and awkward metadata.
func sampleArchive() -> SafetensorsArchive {
    SafetensorsArchive(
        tensors: [
            ("layer1.weight", float32Tensor([1.5, -2, 0.25, .pi, -.infinity, .leastNonzeroMagnitude], shape: [2, 3])),
            ("layer1.bias", float32Tensor([.nan, -0.0], shape: [2])),
            ("bn1.running_var", float64Tensor([1e300, -1e-300, 7], shape: [3])),
            ("bn1.num_batches_tracked", int64Tensor([Int64.min + 1], shape: [])),
            ("empty", Tensor.zeros([0, 4])),
            ("0.weight", int64Tensor([1, -2, Int64.max, 4], shape: [2, 1, 2])),
        ],
        metadata: ["step": "100", "seed": "7", "note": "é \"quoted\" \\ \n\t\u{1}", "": "empty key"])
}

/// A safetensors file with `header` (padded to 8 bytes) and `data`, for hand-made malformed cases.
func rawFile(header: String, data: [UInt8] = []) -> [UInt8] {
    var h = Array(header.utf8)
    h += repeatElement(UInt8(ascii: " "), count: (8 - h.count % 8) % 8)
    var out: [UInt8] = []
    var length = UInt64(h.count)
    for _ in 0..<8 { out.append(UInt8(length & 0xFF)); length >>= 8 }
    return out + h + data
}

/// The error `body` throws, if it is a `CheckpointError`.
func checkpointError(_ body: () throws -> Void) -> CheckpointError? {
    do { try body() } catch let error as CheckpointError { return error } catch { return nil }
    return nil
}
