import Foundation
import Checkpointing
import Crypto
import Datasets

/// Packs a CSV into a folder that any number of ranks can train from while each reads only its own
/// rows (`PackedRows`): `lockstep data pack` is this type with its options from flags or a config.
///
/// The CSV is read once, in chunks, and its rows go to a temporary raw file in the pack folder (the
/// numbers as `RawTable` holds them, a label and the line number: 4 × (features + 2) bytes a row).
/// Once the row count is known, each row's side of the split is one evaluation of the keyed split
/// (`DataSplit.keyedMembership`), the preprocessing is fitted over the training rows of the raw file
/// (`PreprocessingFitter`, the same arithmetic as in memory), and every row is encoded into its
/// part's shards (`ShardWriter`). The manifest is written last; the raw file is removed. Memory is
/// the chunk, the vocabularies, one bit per row for the split and O(columns) statistics — never the
/// file. A failure, or a stop, leaves no manifest, and a failure removes what this run wrote.
///
/// ```swift
/// let packer = Packer(input: "patients.csv", label: "readmitted", options: DataOptions(exclude: ["id"]),
///                     standardize: true, seed: 42, validationFraction: 0.2)
/// let manifest = try packer.pack(to: "packs/patients")
/// manifest.train.rows
/// ```
public struct Packer: Sendable {
    public var input: String
    public var label: String
    public var options: DataOptions
    public var standardize: Bool
    public var seed: UInt64
    public var validationFraction: Double
    /// Rows per shard; nil: as many as fit in 1 GiB.
    public var shardRows: Int?
    public var blockBytes = PackManifest.defaultBlockBytes
    /// Told the phase (`reading`, `fitting`, `writing`) and the share of it done, now and then.
    public var progress: (@Sendable (String, Double) -> Void)?

    public init(input: String, label: String, options: DataOptions, standardize: Bool, seed: UInt64, validationFraction: Double,
                shardRows: Int? = nil) {
        (self.input, self.label, self.options, self.standardize) = (input, label, options, standardize)
        (self.seed, self.validationFraction, self.shardRows) = (seed, validationFraction, shardRows)
    }

    public func pack(to directory: String) throws -> PackManifest {
        try PackFolder.prepare(directory)
        var written: [String] = []
        let rawName = ".raw.tmp-\(getpid())"
        do {
            defer { try? FileManager.default.removeItem(atPath: directory + "/" + rawName) }
            let raw = try RawRowsFile.read(csv: input, label: label, options: options, to: directory + "/" + rawName) {
                progress?("reading", $0)
            }
            let manifest = try encode(raw, into: directory, written: &written)
            try manifest.write(to: directory)
            return manifest
        } catch {
            for name in written { try? FileManager.default.removeItem(atPath: directory + "/" + name) }
            if let error = error as? PackError { throw error }
            throw PackError("\(error)")
        }
    }

    private func encode(_ raw: RawRowsFile, into directory: String, written: inout [String]) throws -> PackManifest {
        let count = raw.rows, width = raw.layout.featureNames.count
        let validationCount = try DataSplit.validationCount(count: count, validationFraction: validationFraction)
        let isValidation = DataSplit.keyedMembership(count: count, validation: validationCount, seed: seed)
        var validates = [UInt64](repeating: 0, count: (count + 63) / 64)   // one bit a row: the fit and the encoding both ask
        for i in 0..<count where isValidation(i) { validates[i >> 6] |= 1 << UInt64(i & 63) }
        let trains = { (i: Int) in validates[i >> 6] & (1 << UInt64(i & 63)) == 0 }
        let firstTrain = (0..<count).first(where: trains)!

        let fitter = PreprocessingFitter(layout: raw.layout, vocabularies: raw.vocabularies, options: options, standardize: standardize,
                                         path: input, firstLine: raw.line(of: firstTrain))
        progress?("fitting", 0)
        let preprocessing = try fitter.fit(task: raw.task) { visit in raw.forEachRow { i, values, _ in if trains(i) { visit(values) } } }

        let features = preprocessing.encodedWidth, rowBytes = 4 * (features + 1)
        let perShard = max(1, shardRows ?? (1 << 30) / rowBytes)
        let parts = ["train", "validation"].map {
            ShardWriter(directory: directory, prefix: $0, rowBytes: rowBytes, shardRows: perShard, blockBytes: blockBytes)
        }
        defer { written = parts.flatMap(\.files) }
        // Per categorical slot: vocabulary code → fitted category index, or `RawRow.unknown`.
        let codeMaps: [[Float]] = preprocessing.columns.indices.map { slot in
            guard let categories = preprocessing.columns[slot].categories else { return [] }
            let index = Dictionary(categories.enumerated().map { ($1, Float($0)) }, uniquingKeysWith: { first, _ in first })
            return raw.vocabularies[slot].map { index[$0] ?? RawRow.unknown }
        }
        var mapped = [Float](repeating: 0, count: width), encoded = [Float](repeating: 0, count: features + 1)
        var failure: Error?
        raw.forEachRow { i, values, label in
            guard failure == nil else { return }
            if i & 0xFFFF == 0 { progress?("writing", Double(i) / Double(count)) }
            for slot in 0..<width {
                let v = values[slot]
                mapped[slot] = raw.layout.isCategorical[slot] && v >= 0 ? codeMaps[slot][Int(v)] : v
            }
            let problem = mapped.withUnsafeBufferPointer { m in encoded.withUnsafeMutableBufferPointer { preprocessing.encodeRow(m, into: $0.baseAddress!) } }
            if let problem {
                let text = problem.kind == .unknownCategory ? raw.vocabularies[problem.slot][Int(values[problem.slot])] : ""
                failure = problem.error(path: input, line: raw.line(of: i), column: preprocessing.columns[problem.slot].name,
                                        columnNumber: raw.layout.featureColumns[problem.slot] + 1, text: text)
                return
            }
            encoded[features] = label
            do {
                try encoded.withUnsafeBytes { try parts[trains(i) ? 0 : 1].append($0) }
            } catch {
                failure = error
            }
        }
        if let failure { throw failure }
        let (train, validation) = (try parts[0].finish(), try parts[1].finish())
        return PackManifest(format: PackManifest.currentFormat,
                            source: .init(path: input, sha256: raw.sha256, rows: count), features: features, rowBytes: rowBytes,
                            blockBytes: blockBytes, split: .init(seed: seed, validationFraction: validationFraction, order: .keyed),
                            standardize: standardize, preprocessing: preprocessing, train: train, validation: validation)
    }
}
