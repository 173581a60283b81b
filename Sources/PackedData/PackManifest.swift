import Datasets

/// `manifest.json`: what a packed data set holds, written last, atomically, so that a folder without
/// one is not (yet) a data set. Everything a reader needs to trust the shards is here or digested here:
/// the row layout, the split that made the two parts, the preprocessing that encoded the features, and
/// per shard its size, the SHA-256 of its bytes and of its per-block digests (`NAME.blocks`).
///
/// A row is `features` float32 inputs (already preprocessed) followed by the float32 label: `rowBytes`
/// = 4 × (features + 1), little-endian. Rows are in ascending source-row order, train and validation
/// apart, so the packed training row `i` is the in-memory training row `i` of the same CSV, split and
/// preprocessing.
///
/// ```swift
/// let manifest = try PackManifest.read(from: "packs/patients")
/// manifest.train.rows        // training rows
/// manifest.preprocessing     // saved with every model trained on it
/// ```
public struct PackManifest: Codable, Sendable, Equatable {
    public static let currentFormat = "lockstep-pack-v1"
    public static let fileName = "manifest.json"
    /// Bytes per verification block of a shard.
    public static let defaultBlockBytes = 1 << 20

    public var format: String
    /// The CSV it was packed from: path as given, its SHA-256 and its data rows.
    public var source: Source
    public var features: Int
    public var rowBytes: Int
    public var blockBytes: Int
    /// How the source rows were split: `DataSplit`'s keyed membership under `seed` and `validationFraction`.
    public var split: Split
    /// Whether the numeric features were standardised (the statistics are in `preprocessing`).
    public var standardize: Bool
    public var preprocessing: Preprocessing
    public var train: Part
    public var validation: Part

    public struct Source: Codable, Sendable, Equatable {
        public var path: String
        public var sha256: String
        public var rows: Int
    }

    public struct Split: Codable, Sendable, Equatable {
        public var seed: UInt64
        public var validationFraction: Double
        /// Always `keyed`: a packer cannot hold a shuffle of every row.
        public var order: SampleOrder

        enum CodingKeys: String, CodingKey { case seed, order, validationFraction = "validation_fraction" }
    }

    /// The rows of one split, in shards of whole rows.
    public struct Part: Codable, Sendable, Equatable {
        public var rows: Int
        public var shards: [Shard]
    }

    public struct Shard: Codable, Sendable, Equatable {
        public var file: String
        public var rows: Int
        public var bytes: Int
        public var sha256: String
        /// The SHA-256 of the shard's `.blocks` file: one 32-byte SHA-256 per `blockBytes` of the shard.
        public var blocksSHA256: String

        enum CodingKeys: String, CodingKey { case file, rows, bytes, sha256, blocksSHA256 = "blocks_sha256" }
    }

    enum CodingKeys: String, CodingKey {
        case format, source, features, split, standardize, preprocessing, train, validation
        case rowBytes = "row_bytes", blockBytes = "block_bytes"
    }
}
