import Checkpointing
import Crypto

/// Which file a run trained or validated on: its path as given, its data rows and the SHA-256 of its
/// bytes, so that a run folder says exactly what data made it (`data.json`).
///
/// ```swift
/// DataProvenance(role: "train", path: "patients.csv", rows: 1200, sha256: "9f86d0…")
/// ```
public struct DataProvenance: Sendable, Hashable, Codable {
    /// `train` (the file the model was fitted on, both splits when one file) or `validation`.
    public var role: String
    /// The path, or `synthetic-clinical` / `synthetic-wide` for generated data.
    public var path: String
    public var rows: Int
    /// Lowercase hex SHA-256 of the file's bytes; nil for generated data.
    public var sha256: String?
}

/// `data.json` of a run folder: the files read and how the validation rows were chosen.
public struct RunData: Sendable, Hashable, Codable {
    public var files: [DataProvenance]
    /// The fraction of the training file held out (0 with a separate validation file or none).
    public var validationFraction: Double

    enum CodingKeys: String, CodingKey {
        case files, validationFraction = "validation_fraction"
    }
}

/// A SHA-256 fed chunk by chunk while a file is read (`RawTable`'s `onChunk`).
final class FileHasher: @unchecked Sendable {
    private var hasher = SHA256()
    func update(_ bytes: UnsafeRawBufferPointer) { hasher.update(bufferPointer: bytes) }
    var hex: String { hasher.finalize().hex }
}
