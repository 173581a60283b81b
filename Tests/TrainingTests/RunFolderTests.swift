import Foundation
import Testing
import Training
import Datasets
import Config

@Suite("run folder: config, preprocessing and data provenance next to the model")
struct RunFolderTests {
    @Test("a CSV with an id, text, a category and empty cells trains, and the folder describes it")
    func selfContainedFolder() throws {
        let dir = try TT.temporaryDirectory("runfolder")
        defer { TT.remove(dir) }
        let (config, summary, out) = try PatientsCSV.train(in: dir)
        for name in ["model.safetensors", "summary.json", "metrics.jsonl", "config.yaml", "preprocessing.json", "data.json"] {
            #expect(FileManager.default.fileExists(atPath: out + "/" + name), "\(name)")
        }
        let folder = try RunFolder.load(out)
        #expect(folder.config.configDigest == config.configDigest)
        #expect(folder.config.configDigest == summary.configDigest)
        let fitted = try PreparedData(config: config, options: PatientsCSV.options).preprocessing
        #expect(folder.preprocessing == fitted)
        #expect(fitted.encodedFeatures == ["age", "age__missing", "bmi", "bmi__missing", "sex=F", "sex=M", "site=A", "site=B", "site=C"])
        #expect(fitted.classLabels == ["0", "1"])
        // The standardisation comes from the training split only: not the whole file's mean.
        #expect(fitted.columns[0].mean != 0 && fitted.columns[0].scale != 1)
        let data = try #require(folder.data)
        #expect(data.validationFraction == 0.25)
        #expect(data.files.count == 1 && data.files[0].rows == 400)
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: dir + "/patients.csv")))
        #expect(data.files[0].sha256 == SHA256Reference.hex(bytes))
    }

    @Test("a folder without preprocessing.json (an older format) is refused in one line")
    func olderFolderRefused() throws {
        let dir = try TT.temporaryDirectory("runfolder-old")
        defer { TT.remove(dir) }
        let (_, _, out) = try PatientsCSV.train(in: dir, steps: 4)
        try FileManager.default.removeItem(atPath: out + "/preprocessing.json")
        let error = #expect(throws: TrainingError.self) { try RunFolder.load(out) }
        #expect(error?.description.contains("no preprocessing.json") == true)
    }

    @Test("validation fraction 0 trains on every row, reports no validation metrics and says so")
    func noValidation() throws {
        let dir = try TT.temporaryDirectory("runfolder-noval")
        defer { TT.remove(dir) }
        var lines: [String] = []
        let (_, summary, out) = try PatientsCSV.train(in: dir, steps: 20) { run in
            run.dataOptions.validationFraction = 0
            run.log = { lines.append($0) }
        }
        #expect(summary.validation.loss == nil && summary.validation.auc == nil)
        #expect(lines.contains { $0.contains("no validation split") })
        let metrics = try String(contentsOfFile: out + "/metrics.jsonl", encoding: .utf8)
        #expect(!metrics.contains("\"eval\""))
        let folder = try RunFolder.load(out)
        #expect(throws: TrainingError.self) { try folder.validationSet() }
    }

    @Test("a separate validation file: the whole training file trains, the other validates")
    func validationFile() throws {
        let dir = try TT.temporaryDirectory("runfolder-valfile")
        defer { TT.remove(dir) }
        try TT.write(PatientsCSV.file(1000, 120), to: dir + "/valid.csv")
        let (config, summary, out) = try PatientsCSV.train(in: dir, steps: 20) { run in
            run.dataOptions.validationPath = dir + "/valid.csv"
        }
        var options = PatientsCSV.options
        options.validationPath = dir + "/valid.csv"
        let data = try PreparedData(config: config, options: options)
        #expect(data.train.count == 400 && data.validation.count == 120)
        let folder = try RunFolder.load(out)
        #expect(folder.data?.files.map(\.role) == ["train", "validation"])
        let evaluation = try Evaluator(loss: .bceWithLogits).evaluate(try SavedWeights.load(out + "/model.safetensors", config: config),
                                                                       on: folder.validationSet())
        #expect(evaluation.samples == 120)
        #expect(evaluation.loss == summary.validation.loss)
    }
}

/// An independent SHA-256 for the test: the system's `sha256sum`.
enum SHA256Reference {
    static func hex(_ bytes: [UInt8]) -> String? {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("sha-\(UUID().uuidString)").path
        FileManager.default.createFile(atPath: path, contents: Data(bytes))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["sha256sum", path]
        let pipe = Pipe()
        process.standardOutput = pipe
        guard (try? process.run()) != nil else { return nil }
        process.waitUntilExit()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        return output.split(separator: " ").first.map(String.init)
    }
}
