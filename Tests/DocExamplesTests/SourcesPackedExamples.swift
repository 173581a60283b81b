@testable import Datasets   // SpillFile is internal
@testable import PackedData   // BlockCache is internal

// The ```swift blocks of the `///` comments about packed data (PackedData, and LabeledRows in
// Datasets), each compiled inside a function.

enum PackedExamples {
    static func labeledRows(table: TabularDataset) throws {
        func shapes(of rows: some LabeledRows) throws -> [Int] {
            let (x, y) = try rows.batch(indices: [0, 1, 2])
            return x.shape + y.shape   // [3, F, 3, 1] for binary labels
        }
        _ = try shapes(of: table)
    }

    static func manifest() throws {
        let manifest = try PackManifest.read(from: "packs/patients")
        manifest.train.rows        // training rows
        manifest.preprocessing     // saved with every model trained on it
    }

    static func packedRows() throws {
        let pack = try PackedDataSet(directory: "packs/patients")
        let (x, y) = try pack.train.batch(indices: [0, 17, 4])   // (3, F) inputs, (3, 1) labels
        _ = (x, y)
    }

    static func packer() throws {
        let packer = Packer(input: "patients.csv", label: "readmitted", options: DataOptions(exclude: ["id"]),
                            standardize: true, seed: 42, validationFraction: 0.2)
        let manifest = try packer.pack(to: "packs/patients")
        manifest.train.rows
    }

    static func tokenPack(language: SyntheticLanguage) throws {
        let manifest = try TokenPack.write(language.tokens(0..<1_000_000), vocabulary: 64, to: "packs/language")
        let windows = try PackedTokens(directory: "packs/language", context: 64)   // the windows of TokenWindows
        _ = (manifest, windows)
    }

    static func packedTokens() throws {
        let windows = try PackedTokens(directory: "packs/language", context: 64)
        let (inputs, targets) = try windows.batch(indices: [3, 0, 7])   // (3, 64) int64 each
        _ = (inputs, targets)
    }

    static func blockWindowOrder(p: Int) {
        let order = BlockWindowOrder(count: 2_000_000, seed: 7, epoch: 0)
        let sample = order.sample(at: p)          // the sample visited p-th
        _ = sample
    }

    static func blockCache(read: (Int, UnsafeMutableRawBufferPointer) throws -> Int) throws {
        let cache = BlockCache(rowFloats: 21)
        let (rows, count) = try cache.block(2) { block, buffer in try read(block, buffer) }   // rows 256..<384
        _ = (rows, count)
    }

    static func spillFile(keys: UnsafeRawBufferPointer, buffer: UnsafeMutableRawBufferPointer) throws {
        let file = try SpillFile()
        try file.write(keys, at: 0)
        try file.read(into: buffer, at: 0)
    }
}
