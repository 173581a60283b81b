import Crypto
import TensorCore

extension SHA256 {
    /// Adds a tensor's raw bytes (little-endian, row-major; no name, shape or dtype) to the message,
    /// straight from the tensor's storage (no copy).
    public mutating func update(tensor: Tensor) {
        update(bufferPointer: UnsafeRawBufferPointer(start: tensor.rawPointer, count: tensor.byteCount))
    }
}

/// Names of the run-state entries a checkpoint keeps in `__metadata__`.
public enum CheckpointMetadataKey {
    /// SHA-256 (hex) of the state dict's raw bytes; see `SafetensorsArchive.paramsSHA256()`.
    public static let paramsSHA256 = "params_sha256"
    /// Tensors whose names start with this prefix are optimizer state, not part of the state dict.
    public static let optimizerPrefix = "optimizer."
}

extension SafetensorsArchive {
    /// SHA-256 of the concatenated raw bytes of the state-dict tensors (every tensor not named
    /// `optimizer.*`), in archive order. Equal parameters give equal digests whatever the number of
    /// ranks that trained them, which is what the determinism tests compare.
    ///
    /// ```swift
    /// archive.recordParamsSHA256()                 // before writing
    /// try loaded.verifyParamsSHA256(source: path)  // after reading
    /// ```
    public func paramsSHA256() -> SHA256.Digest {
        var hasher = SHA256()
        for (name, tensor) in tensors where !name.hasPrefix(CheckpointMetadataKey.optimizerPrefix) {
            hasher.update(tensor: tensor)
        }
        return hasher.finalize()
    }

    /// Stores `paramsSHA256()` in the metadata under `params_sha256`.
    public mutating func recordParamsSHA256() {
        metadata[CheckpointMetadataKey.paramsSHA256] = paramsSHA256().hex
    }

    /// Throws a `.mismatch` error unless the metadata holds `params_sha256` and it matches the tensors:
    /// catches a checkpoint whose data was damaged after it was written.
    public func verifyParamsSHA256(source: String) throws {
        guard let recorded = metadata[CheckpointMetadataKey.paramsSHA256] else {
            throw CheckpointError(.mismatch, source: source, "metadata has no '\(CheckpointMetadataKey.paramsSHA256)' to verify")
        }
        let actual = paramsSHA256().hex
        guard recorded == actual else {
            throw CheckpointError(.mismatch, source: source,
                "parameters hash to \(actual), but '\(CheckpointMetadataKey.paramsSHA256)' records \(quoted(recorded))")
        }
    }
}
