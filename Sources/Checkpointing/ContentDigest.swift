import Crypto
import TensorCore

extension CheckpointMetadataKey {
    /// SHA-256 (hex) of the whole file's content; see `SafetensorsArchive.contentSHA256()`.
    public static let contentSHA256 = "content_sha256"
    /// The digests a file records, comma-separated (`content_sha256,params_sha256`). It makes a single
    /// corruption unable to switch verification off: damage to the `content_sha256` entry's name
    /// leaves this list asking for it, and damage to this entry is caught by `content_sha256`.
    public static let digests = "digests"
}

/// Which recorded digests a file was checked against (`SafetensorsArchive.verifyDigests`).
public enum DigestCheck: Sendable, Equatable {
    /// The file records no digest (a state dict saved by PyTorch): only its structure was checked.
    case none
    /// Only `params_sha256` (a Lockstep file written before `content_sha256` existed): the state-dict
    /// tensors' bytes were checked, not the optimizer state or the metadata.
    case parameters
    /// `content_sha256` (and `params_sha256` when present): every tensor and every metadata entry.
    case content
}

extension SafetensorsArchive {
    /// SHA-256 of everything in the archive that can change what loading it does: every tensor's name,
    /// dtype and shape, in archive order, the bytes of the optimizer tensors, the SHA-256 of the
    /// state-dict tensors' bytes (the `params_sha256` message, so each byte is hashed once when both
    /// digests are checked), and every metadata entry but `content_sha256` itself (step, seed,
    /// format, config digest, `params_sha256`, ...), sorted by key. Fields are length-prefixed, so no
    /// two different archives share a message.
    ///
    /// `params_sha256` stays the world-size-invariant identity of the parameters; this digest is the
    /// integrity check of the file as a whole.
    ///
    /// ```swift
    /// archive.recordDigests()                        // before writing
    /// try loaded.verifyDigests(source: path)         // after reading: throws on any change
    /// ```
    public func contentSHA256() -> SHA256.Digest {
        contentSHA256(parameters: paramsSHA256())
    }

    /// Records `digests` (the list), `params_sha256` (state-dict tensors) and then `content_sha256`
    /// (everything, the other two included) in the metadata. Call it last, once tensors and metadata
    /// are final.
    public mutating func recordDigests() {
        metadata[CheckpointMetadataKey.digests] = CheckpointMetadataKey.contentSHA256 + "," + CheckpointMetadataKey.paramsSHA256
        recordParamsSHA256()
        metadata[CheckpointMetadataKey.contentSHA256] = contentSHA256().hex
    }

    /// Checks the archive against the digests its metadata records, hashing each byte once: every
    /// digest that `digests` lists must be present; `content_sha256` is checked when present, and
    /// `params_sha256` when present. Returns what was checked; throws a one-line `.mismatch` error
    /// naming `source` when a digest is missing or disagrees.
    @discardableResult
    public func verifyDigests(source: String) throws -> DigestCheck {
        let recordedContent = metadata[CheckpointMetadataKey.contentSHA256]
        let recordedParameters = metadata[CheckpointMetadataKey.paramsSHA256]
        for listed in (metadata[CheckpointMetadataKey.digests] ?? "").split(separator: ",") where metadata[String(listed)] == nil {
            throw CheckpointError(.mismatch, source: source,
                "metadata lists \(quoted(String(listed))) in '\(CheckpointMetadataKey.digests)' but does not record it (file damaged or edited after it was written)")
        }
        guard recordedContent != nil || recordedParameters != nil else { return .none }
        guard let recordedContent else {
            try verifyParamsSHA256(source: source)
            return .parameters
        }
        let parameters = paramsSHA256()
        let actual = contentSHA256(parameters: parameters).hex
        guard actual == recordedContent else {
            throw CheckpointError(.mismatch, source: source,
                "content does not match its recorded '\(CheckpointMetadataKey.contentSHA256)' (file damaged or edited after it was written; "
                + "recorded \(quoted(String(recordedContent.prefix(64)))), computed '\(actual)'); --no-verify loads a file edited on purpose")
        }
        if let recordedParameters, parameters.hex != recordedParameters {
            throw CheckpointError(.mismatch, source: source,
                "parameters hash to \(parameters.hex), but '\(CheckpointMetadataKey.paramsSHA256)' records \(quoted(String(recordedParameters.prefix(64))))")
        }
        return .content
    }

    /// The content digest, given the state-dict digest (`paramsSHA256()`) that stands for those bytes.
    private func contentSHA256(parameters: SHA256.Digest) -> SHA256.Digest {
        var content = SHA256()
        func integer(_ value: Int) {
            var little = UInt64(value).littleEndian
            withUnsafeBytes(of: &little) { content.update(bufferPointer: $0) }
        }
        func utf8(_ text: String) {
            Array(text.utf8).withUnsafeBytes { content.update(bufferPointer: $0) }
        }
        func field(_ text: String) {
            integer(text.utf8.count)
            utf8(text)
        }
        utf8("lockstep content_sha256 v1\n")
        let keys = metadata.keys.filter { $0 != CheckpointMetadataKey.contentSHA256 }
            .sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        integer(keys.count)
        for key in keys {
            field(key)
            field(metadata[key]!)
        }
        integer(tensors.count)
        for (name, tensor) in tensors {
            field(name)
            field(tensor.dtype.safetensorsName)
            integer(tensor.shape.count)
            for dim in tensor.shape { integer(dim) }
            integer(tensor.byteCount)
            if name.hasPrefix(CheckpointMetadataKey.optimizerPrefix) { content.update(tensor: tensor) }
        }
        parameters.withUnsafeBytes { content.update(bufferPointer: $0) }
        return content.finalize()
    }
}
