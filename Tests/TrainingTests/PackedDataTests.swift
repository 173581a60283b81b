import Testing
import Foundation
import Checkpointing
import Datasets
import Distributed
import PackedData
import Training
import Config

/// Issue 20: a packed data set trains to the bits of its CSV in memory, at any world size, across a
/// resume at another world size; a damaged pack is refused naming the shard; a stopped pack is no pack.
@Suite(.serialized)
struct PackedDataTests {
    /// 3,000 patients: an id to exclude, a categorical column with empty cells, a numeric column with
    /// empty cells (median imputation and an indicator), a binary label.
    static func writeCSV(rows: Int, to path: String) throws {
        var text = "id,age,sex,bp,smoker,y\n"
        var state: UInt64 = 20
        func next() -> Double {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Double(state >> 11) / Double(1 << 53)
        }
        for i in 0..<rows {
            let age = next() < 0.07 ? "" : String(format: "%.2f", 30 + 50 * next())
            let sex = ["F", "M", "", "X"][Int(next() * 4)]
            let bp = String(format: "%.1f", 90 + 60 * next())
            let smoker = next() < 0.3 ? "1" : "0"
            let y = next() < 0.4 ? 1 : 0
            text += "p\(i),\(age),\(sex),\(bp),\(smoker),\(y)\n"
        }
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }

    static func yaml(data: String, steps: Int = 24) -> String {
        """
        seed: 5
        model:
          input: 7
          layers:
            - {name: fc1, type: linear, out: 16}
            - {name: bn1, type: batchnorm1d}
            - {type: relu}
            - {type: dropout, p: 0.2}
            - {name: fc2, type: linear, out: 1}
        data: \(data)
        loss: bce_with_logits
        batch: {global: 96, micro: 16}
        optimizer: {type: sgd, lr: 0.05, momentum: 0.9}
        train: {steps: \(steps), eval_every: 0}
        output: {dir: runs/packed, checkpoint_every: 4}
        """
    }

    static func csvData(_ csv: String) -> String {
        "{source: csv, path: \(csv), label: y, exclude: [id], categorical: [sex], missing: median, missing_indicators: true, order: keyed}"
    }

    /// A CSV, its pack (in shards of 700 rows, so that batches cross shards) and the two configs.
    struct Fixture {
        let directory: String, csv: String, pack: String
        var csvConfig: RunConfig { get throws { try RunConfig(yaml: PackedDataTests.yaml(data: PackedDataTests.csvData(csv)), source: "csv.yaml") } }
        func packedConfig(steps: Int = 24) throws -> RunConfig {
            try RunConfig(yaml: PackedDataTests.yaml(data: "{source: packed, path: \(pack)}", steps: steps), source: "packed.yaml")
        }

        init(rows: Int = 3_000) throws {
            directory = try TT.temporaryDirectory("packed")
            csv = directory + "/patients.csv"
            pack = directory + "/pack"
            try PackedDataTests.writeCSV(rows: rows, to: csv)
            let config = try RunConfig(yaml: PackedDataTests.yaml(data: PackedDataTests.csvData(csv)), source: "csv.yaml")
            var packer = Packer(input: csv, label: "y", options: config.data.options, standardize: config.data.standardize,
                                seed: config.seed, validationFraction: config.data.validationFraction)
            packer.shardRows = 700
            _ = try packer.pack(to: pack)
        }
    }

    static func train(_ config: RunConfig, ranks: Int, in out: String, resume: Bool = false) throws -> RunSummary {
        try SimulatedWorld.run(ranks: ranks) { comm in
            let run = TrainingRun(config: config, outputDirectory: out, communicator: comm, resume: resume)
            run.showsProgress = false
            run.log = { _ in }
            if resume { run.allowedConfigChanges = ["train.steps"] }
            return try run.run()
        }[0]
    }

    @Test("packed and CSV in memory: one params_sha256 at W = 1, 2, 3; the pack's preprocessing is the in-memory fit")
    func sameBitsAsTheCSV() throws {
        let f = try Fixture()
        defer { TT.remove(f.directory) }
        let prepared = try PreparedData(config: try f.csvConfig)
        let pack = try PackedDataSet(directory: f.pack)
        #expect(pack.manifest.preprocessing == prepared.preprocessing)
        #expect(pack.train.count == prepared.train.count && pack.validation.count == prepared.validation.count)
        #expect(pack.manifest.train.shards.count == 4, "2,400 training rows in shards of 700")
        let reference = try Self.train(try f.csvConfig, ranks: 1, in: f.directory + "/csv")
        for ranks in [1, 2, 3] {
            let summary = try Self.train(try f.packedConfig(), ranks: ranks, in: f.directory + "/packed-\(ranks)")
            #expect(summary.paramsSHA256 == reference.paramsSHA256, "packed at W = \(ranks)")
            #expect(summary.validation == reference.validation)
        }
        // The comparison can fail: the CSV under the other order gives other bits.
        var shuffled = try f.csvConfig
        shuffled.data.order = .shuffle
        #expect(try Self.train(shuffled, ranks: 1, in: f.directory + "/shuffled").paramsSHA256 != reference.paramsSHA256)
    }

    /// `order: blocks` reads whole 64-row blocks (`BlockCache`) where a micro-batch asks for two or
    /// more rows of one, across the 700-row shards' edges: the same rows, so the same bits as in memory.
    @Test("order: blocks: packed and CSV in memory, one params_sha256 at W = 1, 2, 3; rows read by block equal rows read one by one")
    func blocksOrderSameBitsAsTheCSV() throws {
        let f = try Fixture()
        defer { TT.remove(f.directory) }
        var csv = try f.csvConfig, packed = try f.packedConfig()
        (csv.data.order, packed.data.order) = (.blocks, .blocks)
        let reference = try Self.train(csv, ranks: 1, in: f.directory + "/csv")
        for ranks in [1, 2, 3] {
            let summary = try Self.train(packed, ranks: ranks, in: f.directory + "/packed-\(ranks)")
            #expect(summary.paramsSHA256 == reference.paramsSHA256, "packed at W = \(ranks)")
        }
        #expect(try Self.train(try f.packedConfig(), ranks: 1, in: f.directory + "/keyed").paramsSHA256 != reference.paramsSHA256)
        // Micro-batches of the order, read through the block cache (and its evictions), against single rows.
        let pack = try PackedDataSet(directory: f.pack)
        let order = BlockWindowOrder(count: pack.train.count, seed: 5, epoch: 1)
        for start in stride(from: 0, to: pack.train.count, by: 96) {
            let indices = (start..<min(start + 96, pack.train.count)).map(order.sample(at:))
            let (x, y) = try pack.train.batch(indices: indices[...])
            for (k, i) in indices.enumerated() {
                let (xi, yi) = try pack.train.batch(indices: [i])
                #expect(Array(UnsafeBufferPointer(start: x.floats + k * xi.count, count: xi.count)) == Array(UnsafeBufferPointer(start: xi.floats, count: xi.count)))
                #expect(y.floats[k] == yi.floats[0])
            }
        }
    }

    @Test("a run from a pack stopped at step 10 on 2 ranks and resumed on 3 ends with the uninterrupted run's bits")
    func resumeAtAnotherWorldSize() throws {
        let f = try Fixture()
        defer { TT.remove(f.directory) }
        let whole = try Self.train(try f.packedConfig(steps: 30), ranks: 1, in: f.directory + "/whole")
        _ = try Self.train(try f.packedConfig(steps: 10), ranks: 2, in: f.directory + "/split")
        let resumed = try Self.train(try f.packedConfig(steps: 30), ranks: 3, in: f.directory + "/split", resume: true)
        #expect(resumed.paramsSHA256 == whole.paramsSHA256)
    }

    @Test(.enabled(if: LockstepProcess.mpirunAvailable))
    func mpirunGivesTheCSVBits() throws {
        let f = try Fixture()
        defer { TT.remove(f.directory) }
        let reference = try Self.train(try f.csvConfig, ranks: 1, in: f.directory + "/csv")
        let config = f.directory + "/packed.yaml"
        try Self.yaml(data: "{source: packed, path: \(f.pack)}").write(toFile: config, atomically: true, encoding: .utf8)
        let outcome = try LockstepProcess.mpirun(ranks: 2, ["train", "--config", config, "--quiet", "--out", f.directory + "/mpi"])
        #expect(outcome.status == 0, "\(outcome.stderr)")
        let summary = try JSONDecoder().decode(RunSummary.self, from: Data(contentsOf: URL(fileURLWithPath: f.directory + "/mpi/summary.json")))
        #expect(summary.paramsSHA256 == reference.paramsSHA256)
    }

    @Test("a truncated shard, an altered row, an altered block list: one line naming the file, exit 1")
    func damagedPacksAreRefused() throws {
        let f = try Fixture()
        defer { TT.remove(f.directory) }
        let config = f.directory + "/packed.yaml"
        try Self.yaml(data: "{source: packed, path: \(f.pack)}").write(toFile: config, atomically: true, encoding: .utf8)
        let shard = f.pack + "/train-00001.bin"
        let original = try Data(contentsOf: URL(fileURLWithPath: shard))
        func expectRefusal(_ what: String, naming file: String) throws {
            let outcome = try LockstepProcess.run(["train", "--config", config, "--quiet", "--out", f.directory + "/run-\(UUID().uuidString)"])
            let lines = outcome.stderr.split(separator: "\n")
            #expect(outcome.status != 0 && outcome.exitedNormally, "\(what): \(outcome.status)")
            #expect(lines.count == 1 && outcome.stderr.contains(file), "\(what): \(outcome.stderr)")
        }
        try original.dropLast(5).write(to: URL(fileURLWithPath: shard))
        try expectRefusal("truncated", naming: "train-00001.bin")
        var altered = original
        altered[altered.count / 2] ^= 0x01
        try altered.write(to: URL(fileURLWithPath: shard))
        try expectRefusal("a flipped bit", naming: "train-00001.bin")
        #expect(throws: PackError.self) { _ = try PackedDataSet(directory: f.pack, verification: .full) }
        try original.write(to: URL(fileURLWithPath: shard))
        _ = try PackedDataSet(directory: f.pack, verification: .full)   // restored: whole again
        let blocks = f.pack + "/validation-00000.blocks"
        var digests = try Data(contentsOf: URL(fileURLWithPath: blocks))
        digests[3] ^= 0x80
        try digests.write(to: URL(fileURLWithPath: blocks))
        try expectRefusal("an altered block list", naming: "validation-00000.blocks")
        // The manifest: another format, or a preprocessing that could not be applied, is refused on open.
        let manifestPath = f.pack + "/manifest.json", manifest = try String(contentsOfFile: manifestPath, encoding: .utf8)
        for (what, damaged) in [("format", manifest.replacingOccurrences(of: "lockstep-pack-v1", with: "lockstep-pack-v9")),
                                ("scale 0", manifest.replacingOccurrences(of: #""scale" : [0-9.e+-]+"#, with: "\"scale\" : 0",
                                                                          options: .regularExpression))] {
            #expect(damaged != manifest, "\(what): the edit did not apply")
            try damaged.write(toFile: manifestPath, atomically: true, encoding: .utf8)
            #expect { _ = try PackedDataSet(directory: f.pack) } throws: { "\($0)".contains("manifest.json") && !"\($0)".contains("\n") }
        }
    }

    @Test("lockstep data pack killed half-way leaves no manifest; the folder is refused, then packed again")
    func killedPackLeavesNoManifest() throws {
        let directory = try TT.temporaryDirectory("pack-kill")
        defer { TT.remove(directory) }
        let csv = directory + "/big.csv", pack = directory + "/pack"
        try Self.writeCSV(rows: 200_000, to: csv)
        // SIGKILL once the first shard is complete: the pack is half written.
        let process = Process()
        process.executableURL = LockstepProcess.binary
        process.arguments = ["data", "pack", "--input", csv, "--out", pack, "--config", try Self.packConfig(csv, in: directory),
                             "--shard-rows", "5000"]
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(60)
        while process.isRunning && Date() < deadline
                && !FileManager.default.fileExists(atPath: pack + "/train-00000.blocks") { usleep(2_000) }
        let killedMidway = process.isRunning
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(killedMidway, "the pack finished before it could be killed")
        if killedMidway {
            #expect(!FileManager.default.fileExists(atPath: pack + "/" + PackManifest.fileName))
            #expect(throws: PackError.self) { _ = try PackedDataSet(directory: pack) }
        }
        let again = try LockstepProcess.run(["data", "pack", "--input", csv, "--out", pack, "--config", try Self.packConfig(csv, in: directory)],
                                            timeout: 120)
        #expect(again.status == 0, "\(again.stderr)")
        let packed = try PackedDataSet(directory: pack, verification: .full)
        #expect(packed.manifest.source.rows == 200_000)
        let refused = try LockstepProcess.run(["data", "pack", "--input", csv, "--out", pack, "--label", "y"])
        #expect(refused.status != 0 && refused.stderr.contains("already holds a packed data set"))
    }

    static func packConfig(_ csv: String, in directory: String) throws -> String {
        let path = directory + "/pack.yaml"
        try yaml(data: csvData(csv)).write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }
}
