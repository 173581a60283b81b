import Foundation
import Testing
import TensorCore
import Checkpointing
import Training
import Config

/// The real `lockstep` binary (built by `swift build --build-tests`, found next to the test bundle)
/// on bad input: each mistake ends the process with a non-zero status and exactly one line that names
/// the problem, and leaves no half-written output behind.
@Suite("lockstep CLI: bad input, progress")
struct CLITests {
    /// Every bad input the tests feed the binary.
    enum BadInput: String, CaseIterable, CustomTestStringConvertible, Sendable {
        case unknownKey, wrongType, layerSizeMismatch, batchNotDivisible, missingConfig
        case csvMissingLabel, csvNonNumericCell, csvNaN, csvTooFewRows
        case initTruncated, initWrongName, initWrongShape, initWrongDType, initUnsupportedDType, initMissingFile
        case evalWeightsDoNotFit
        case outIsAFile, outUnderAFile, outEmpty, modelPathIsADirectory
        case ranksHuge, ranksBeyondMicroBatches, layerTooWide, layerSizeOverflows, tooManySamples

        var testDescription: String { rawValue }
    }

    /// A directory with `run.yaml` (the reference model on 2,000 synthetic samples, 3 steps).
    static func workspace(_ label: String) throws -> String {
        let directory = try TT.temporaryDirectory("cli-\(label)")
        try TT.write(TT.referenceYAML(steps: 3, evalEvery: 0, logEvery: 1), to: directory + "/run.yaml")
        return directory
    }

    /// A CSV config for `data.csv` in `directory` (4 features, label column `label`).
    static func writeCSV(_ rows: [String], label: String = "label", in directory: String) throws {
        try TT.write((["f0,f1,f2,f3,label"] + rows).joined(separator: "\n") + "\n", to: directory + "/data.csv")
        try TT.write("""
            seed: 3
            model:
              input: 4
              layers:
                - {name: layer1, type: linear, out: 8}
                - {type: relu}
                - {name: layer2, type: linear, out: 1}
            data: {source: csv, path: data.csv, label: \(label)}
            loss: bce_with_logits
            batch: {global: 16, micro: 8}
            optimizer: {type: sgd, lr: 0.1}
            train: {steps: 2}
            output: {dir: out}

            """, to: directory + "/csv.yaml")
    }

    static func goodRows(_ count: Int = 60) -> [String] {
        (0..<count).map { i in "\(i % 7),\(Double(i) / 10),\(i % 3 - 1),\(Double(i * i % 11) / 5),\(i % 2)" }
    }

    /// A state dict of the run.yaml model with one change.
    static func writeStateDict(in directory: String, name: String,
                               change: (inout [(name: String, tensor: Tensor)]) -> Void) throws -> String {
        let config = try RunConfig.load(path: directory + "/run.yaml")
        var tensors = try ModelBuilder.build(config).stateDict()
        change(&tensors)
        let path = directory + "/" + name
        try SafetensorsArchive(tensors: tensors).write(to: path)
        return path
    }

    /// Writes the files a case needs; returns the arguments and what the error line must contain.
    static func prepare(_ input: BadInput, in d: String) throws -> (arguments: [String], mentions: [String]) {
        let train = ["train", "--config", "run.yaml", "--out", "out"]
        switch input {
        case .unknownKey:
            let yaml = TT.referenceYAML(steps: 3).replacingOccurrences(of: "loss: bce_with_logits", with: "loss: bce_with_logits\nlearning_rate: 0.1")
            try TT.write(yaml, to: d + "/typo.yaml")
            return (["train", "--config", "typo.yaml", "--out", "out"], ["typo.yaml", "unknown key 'learning_rate'"])
        case .wrongType:
            return (train + ["--set", "train.steps=many"], ["train.steps", "'many'", "from --set train.steps=many"])
        case .layerSizeMismatch:
            return (train + ["--set", "model.input=21"], ["model.input", "21", "20"])
        case .batchNotDivisible:
            return (train + ["--set", "batch.global=60"], ["batch.global 60 is not divisible by batch.micro 16"])
        case .missingConfig:
            return (["train", "--config", "no-such.yaml"], ["no-such.yaml", "no such file"])
        case .csvMissingLabel:
            try writeCSV(goodRows(), label: "outcome", in: d)
            return (["train", "--config", "csv.yaml"], ["data.csv", "\"outcome\""])
        case .csvNonNumericCell:
            var rows = goodRows()
            rows[4] = "1,2,abc,4,0"                                    // file line 6 (the header is line 1)
            try writeCSV(rows, in: d)
            return (["train", "--config", "csv.yaml"], ["data.csv:6", "f2", "abc"])
        case .csvNaN:
            var rows = goodRows()
            rows[9] = "1,NaN,3,4,1"                                    // file line 11
            try writeCSV(rows, in: d)
            return (["train", "--config", "csv.yaml"], ["data.csv:11", "f1", "NaN"])
        case .csvTooFewRows:
            try writeCSV(goodRows(), in: d)                            // 60 rows: 48 train, 12 validation
            return (["train", "--config", "csv.yaml", "--set", "batch.global=64"],
                    ["csv.yaml", "data.path", "data.csv has 60 samples", "48", "batch.global 64"])
        case .initTruncated:
            try Data(PyTorchReferenceFixture.initBytes.prefix(5000)).write(to: URL(fileURLWithPath: d + "/init.safetensors"))
            return (train + ["--init", "init.safetensors"], ["init.safetensors", "truncated"])
        case .initWrongName:
            _ = try writeStateDict(in: d, name: "init.safetensors") { $0[0].name = "fc1.weight" }
            return (train + ["--init", "init.safetensors"], ["init.safetensors", "layer1.weight"])
        case .initWrongShape:
            _ = try writeStateDict(in: d, name: "init.safetensors") { $0[0].tensor = Tensor.zeros([64, 21]) }
            return (train + ["--init", "init.safetensors"], ["init.safetensors", "layer1.weight", "shape"])
        case .initWrongDType:
            _ = try writeStateDict(in: d, name: "init.safetensors") { $0[1].tensor = Tensor.zeros([64], dtype: .float64) }
            return (train + ["--init", "init.safetensors"], ["init.safetensors", "layer1.bias", "F64", "F32"])
        case .initUnsupportedDType:
            // A half-precision PyTorch state dict: a dtype Lockstep does not read.
            let header = #"{"layer1.bias":{"dtype":"F16","shape":[64],"data_offsets":[0,128]}}"#
            var bytes = withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { [UInt8]($0) }
            bytes += Array(header.utf8) + [UInt8](repeating: 0, count: 128)
            try Data(bytes).write(to: URL(fileURLWithPath: d + "/init.safetensors"))
            return (train + ["--init", "init.safetensors"], ["init.safetensors", "F16"])
        case .initMissingFile:
            return (train + ["--init", "nowhere.safetensors"], ["nowhere.safetensors"])
        case .outIsAFile:
            try TT.write("not a directory\n", to: d + "/blocker")
            return (["train", "--config", "run.yaml", "--out", "blocker"], ["blocker", "is not a directory"])
        case .outUnderAFile:
            try TT.write("not a directory\n", to: d + "/blocker")
            return (["train", "--config", "run.yaml", "--out", "blocker/sub"], ["blocker", "is not a directory"])
        case .outEmpty:
            return (["train", "--config", "run.yaml", "--out", ""], ["output directory", "empty"])
        case .modelPathIsADirectory:
            try FileManager.default.createDirectory(atPath: d + "/taken/model.safetensors", withIntermediateDirectories: true)
            return (["train", "--config", "run.yaml", "--out", "taken"], ["taken/model.safetensors", "is a directory"])
        case .ranksHuge:
            return (train + ["--ranks", "9223372036854775807"], ["--ranks 9223372036854775807", "at most 4 ranks"])
        case .ranksBeyondMicroBatches:
            return (train + ["--ranks", "1000"], ["--ranks 1000", "4 micro-batches"])
        case .layerTooWide:
            return (train + ["--set", "model.layers[0].out=100000000"], ["the run needs at least", "of memory available"])
        case .layerSizeOverflows:
            return (train + ["--set", "model.layers[0].out=4611686018427387904"], ["model.layers[0].out", "more than any machine can hold"])
        case .tooManySamples:
            return (train + ["--set", "data.samples=1000000000"], ["the run needs at least", "GB"])
        case .evalWeightsDoNotFit:
            // Weights of the model without batch norm, evaluated as the reference model.
            let plain = try RunConfig(yaml: AccumulationTests.plainYAML(micro: 8), source: "plain.yaml")
            try StateDictFile.archive(model: try ModelBuilder.build(plain)).write(to: d + "/plain.safetensors")
            return (["eval", "--config", "run.yaml", "--weights", "plain.safetensors"], ["plain.safetensors", "bn1"])
        }
    }

    @Test("bad input: non-zero exit, one error line naming the problem, no half-written output",
          arguments: BadInput.allCases)
    func badInput(_ input: BadInput) throws {
        let directory = try Self.workspace(input.rawValue)
        defer { TT.remove(directory) }
        let (arguments, mentions) = try Self.prepare(input, in: directory)
        let result = try CLI.run(arguments, in: directory)
        #expect(result.exitedNormally, "lockstep crashed (signal \(result.status)): \(result.stderr)")
        #expect(result.status != 0)
        let lines = result.errorLines
        #expect(lines.count == 1, "expected one error line, got:\n\(result.stderr)")
        let line = lines.first ?? ""
        #expect(line.hasPrefix("Error: "), "\(line)")
        for mention in mentions {
            #expect(line.contains(mention), "the error line should mention \(mention): \(line)")
        }
        #expect(!result.stdout.contains("Fatal error") && !result.stderr.contains("Fatal error"))
        // Nothing written: the failure comes before any output file exists.
        let out = directory + "/out"
        #expect(!FileManager.default.fileExists(atPath: out + "/model.safetensors"), "\(input): OUT has a model.safetensors")
        #expect(!FileManager.default.fileExists(atPath: out + "/summary.json"), "\(input): OUT has a summary.json")
        #expect(!FileManager.default.fileExists(atPath: out), "\(input): OUT was created by a run that never started")
    }

    /// A run that diverges stops with one line and writes no model; its summary.json records the
    /// divergence (issue 22: a collapse is reported, not hidden). (Batch norm keeps even a learning
    /// rate of 1e30 finite, so the two batch norms are replaced by ReLUs here.)
    @Test("a diverging run stops with one line and writes no model")
    func divergence() throws {
        let directory = try Self.workspace("diverge")
        defer { TT.remove(directory) }
        let result = try CLI.run(["train", "--config", "run.yaml", "--out", "out", "--quiet",
                                  "--set", "optimizer.lr=1e30", "--set", "train.steps=20",
                                  "--set", "model.layers[1]={type: relu}", "--set", "model.layers[5]={type: relu}"], in: directory)
        #expect(result.exitedNormally)
        #expect(result.status != 0)
        #expect(result.errorLines.count == 1, "\(result.stderr)")
        #expect(result.errorLines.first?.hasPrefix("Error: training diverged at step") == true, "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: directory + "/out/model.safetensors"))
        let summary = try JSONDecoder().decode(RunSummary.self, from: Data(contentsOf: URL(fileURLWithPath: directory + "/out/summary.json")))
        #expect(summary.collapse?.kind == .diverged && summary.collapse?.detail.hasPrefix("training diverged at step") == true)
    }

    /// Without a terminal, `lockstep train` prints a progress line every `log_every` steps.
    @Test("train prints progress lines: step N/M, loss, samples/s, ETA")
    func progress() throws {
        let directory = try Self.workspace("progress")
        defer { TT.remove(directory) }
        let result = try CLI.run(["train", "--config", "run.yaml", "--out", "out",
                                  "--set", "train.steps=20", "--set", "train.log_every=5"], in: directory)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.isEmpty, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        let pattern = /^step +(\d+)\/20 +(\d+)%  loss (\d+\.\d{4})  lr \S+  ([\d,]+) samples\/s  elapsed (\d+:\d\d)  ETA (\d+:\d\d)$/
        let steps = lines.compactMap { line in (try? pattern.wholeMatch(in: line)).map { Int($0.output.1)! } }
        #expect(steps == [5, 10, 15, 20], "progress lines:\n\(result.stdout)")
        #expect(!result.stdout.contains("\r"), "non-TTY output must not rewrite lines in place")
        #expect(!result.stdout.utf8.contains(0x1B), "non-TTY output must not hold escape codes")
        #expect(lines.first?.hasPrefix("training ") == true)
        #expect(lines.last?.hasPrefix("done: 20 steps") == true)
        #expect(FileManager.default.fileExists(atPath: directory + "/out/model.safetensors"))
        #expect(FileManager.default.fileExists(atPath: directory + "/out/summary.json"))

        // --quiet drops the progress lines but keeps the rest.
        let quiet = try CLI.run(["train", "--config", "run.yaml", "--out", "quiet", "--quiet",
                                 "--set", "train.steps=20", "--set", "train.log_every=5"], in: directory)
        #expect(quiet.status == 0)
        #expect(!quiet.stdout.contains("samples/s  ETA"))
        #expect(quiet.stdout.contains("done: 20 steps"))
    }

    /// `eval` reads a PyTorch state dict as is.
    @Test("eval --weights reads a PyTorch state dict")
    func evalPyTorchWeights() throws {
        let directory = try Self.workspace("eval")
        defer { TT.remove(directory) }
        try Data(PyTorchReferenceFixture.initBytes).write(to: URL(fileURLWithPath: directory + "/torch.safetensors"))
        let result = try CLI.run(["eval", "--config", "run.yaml", "--weights", "torch.safetensors", "--json"], in: directory)
        #expect(result.status == 0, "\(result.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(object["samples"] as? Int == 400)
        #expect(object["auc"] as? Double != nil)
    }
}
