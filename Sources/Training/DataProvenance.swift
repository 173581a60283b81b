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

/// `data.json` of a run folder: the files read and how the validation rows were chosen; and, when a
/// resumed run was allowed to continue on other data, what its earlier segments trained on.
public struct RunData: Sendable, Hashable, Codable {
    public var files: [DataProvenance]
    /// The fraction of the training file held out (0 with a separate validation file or none).
    public var validationFraction: Double
    /// The data of earlier segments, oldest first, each kept when `--resume --allow-data-change`
    /// replaced it; nil (and absent from the file) while the data never changed.
    public var earlier: [EarlierData]? = nil

    enum CodingKeys: String, CodingKey {
        case files, earlier, validationFraction = "validation_fraction"
    }
}

/// What a run trained on before a resumed segment continued on other data (`data.json`'s `earlier`).
public struct EarlierData: Sendable, Hashable, Codable {
    public var files: [DataProvenance]
    public var validationFraction: Double
    /// The step the resumed segment started after: steps up to it were trained on these files (or on
    /// an entry before this one).
    public var untilStep: Int

    enum CodingKeys: String, CodingKey {
        case files, validationFraction = "validation_fraction", untilStep = "until_step"
    }
}

/// A SHA-256 fed chunk by chunk while a file is read (`RawTable`'s `onChunk`).
final class FileHasher: @unchecked Sendable {
    private var hasher = SHA256()
    func update(_ bytes: UnsafeRawBufferPointer) { hasher.update(bufferPointer: bytes) }
    var hex: String { hasher.finalize().hex }
}
