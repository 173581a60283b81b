import Foundation
import Testing
import Training
import Datasets
import Config

@Suite("lockstep predict and eval --run: saved preprocessing, never re-fitted", .serialized)
struct PredictCLITests {
    /// One trained run shared by the tests of this suite (training takes a moment).
    static let shared: (dir: String, out: String, config: RunConfig, summary: RunSummary) = {
        let dir = try! TT.temporaryDirectory("predict")
        let (config, summary, out) = try! PatientsCSV.train(in: dir)
        return (dir, out, config, summary)
    }()

    func predict(_ file: String, _ extra: [String] = []) throws -> (CLIResult, String) {
        let dir = Self.shared.dir, output = dir + "/preds-\(UUID().uuidString).csv"
        let result = try CLI.run(["predict", "--run", Self.shared.out, "--input", file, "--output", output] + extra, in: dir)
        return (result, output)
    }

    @Test("predictions for a file without labels: id kept, logit and prob per row, equal to the model's own output")
    func predictsUnlabelledRows() throws {
        let input = Self.shared.dir + "/new.csv"
        try TT.write(PatientsCSV.file(5000, 50, withLabel: false), to: input)
        let (result, output) = try predict(input, ["--id-column", "patient_id"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("ignoring column the model does not use: notes"))
        let lines = try String(contentsOfFile: output, encoding: .utf8).split(separator: "\n").map(String.init)
        #expect(lines.first == "patient_id,logit,prob")
        #expect(lines.count == 51)
        // The same rows through the library: saved preprocessing, saved weights.
        let folder = try RunFolder.load(Self.shared.out)
        try TT.write(PatientsCSV.file(5000, 50), to: Self.shared.dir + "/new-labelled.csv")
        let encoded = try folder.preprocessing.encodeFile(Self.shared.dir + "/new-labelled.csv")
        let model = try SavedWeights.load(Self.shared.out + "/model.safetensors", config: folder.config)
        let logits = try model(encoded.batch(indices: Array(0..<50)).inputs)
        for (i, line) in lines.dropFirst().enumerated() {
            let cells = line.split(separator: ",")
            #expect(cells[0] == "p\(5000 + i)")
            #expect(Float(cells[1]) == logits.floats[i])
            let prob = Double(cells[2])!
            #expect(abs(prob - 1 / (1 + exp(-Double(logits.floats[i])))) < 1e-6)
        }
    }

    @Test("bad rows: one line naming file, row and column, non-zero exit, no output file")
    func badRows() throws {
        let head = "patient_id,age,bmi,sex,site,notes"
        let cases: [(String, String)] = [
            ("p1,40,20,F,Z,x", "column \"site\" (5): category \"Z\" never appeared in training"),
            ("p1,forty,20,F,A,x", "column \"age\" (2): \"forty\" is not a number"),
            ("p1,NaN,20,F,A,x", "column \"age\" (2): \"NaN\" is not a finite float32 value"),
            ("p1,40,20,F,A", "the row has 5 cells but the header has 6"),
        ]
        for (row, message) in cases {
            let input = Self.shared.dir + "/bad-\(UUID().uuidString).csv"
            try TT.write("\(head)\np0,50,25,M,B,ok\n\(row)\n", to: input)
            let (result, output) = try predict(input)
            #expect(result.status != 0)
            #expect(result.errorLines.last == "Error: \(input):3: \(message)", "\(result.stderr)")
            #expect(!FileManager.default.fileExists(atPath: output))
            let (skipping, skipOutput) = try predict(input, ["--skip-bad-rows"])
            #expect(skipping.status == 0)
            #expect(skipping.stderr.contains("skipped: \(input):3"))
            #expect(skipping.stdout.contains("wrote 1 predictions") && skipping.stdout.contains("1 bad rows skipped"))
            #expect(try String(contentsOfFile: skipOutput, encoding: .utf8).split(separator: "\n").count == 2)
        }
        let missing = Self.shared.dir + "/nocolumn.csv"
        try TT.write("patient_id,age,sex,site\np0,50,M,B\n", to: missing)
        let (result, output) = try predict(missing)
        #expect(result.status != 0 && result.errorLines.last?.contains("\(missing):1: no feature column \"bmi\"") == true)
        #expect(!FileManager.default.fileExists(atPath: output))
        let empty = Self.shared.dir + "/empty.csv"
        try TT.write("", to: empty)
        let (emptyResult, _) = try predict(empty)
        #expect(emptyResult.status != 0 && emptyResult.errorLines.last == "Error: \(empty): the file is empty (expected a header row naming the columns)")
        let headerOnly = Self.shared.dir + "/header.csv"
        try TT.write(head + "\n", to: headerOnly)
        let (headerResult, _) = try predict(headerOnly)
        #expect(headerResult.status != 0 && headerResult.errorLines.last == "Error: \(headerOnly): the file has a header row but no data rows")
    }

    @Test("an empty cell is imputed with the training split's median, as the saved preprocessing says")
    func emptyCellsImputed() throws {
        let input = Self.shared.dir + "/gaps.csv"
        try TT.write("age,bmi,sex,site\n,,,A\n", to: input)
        let (result, output) = try predict(input)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try String(contentsOfFile: output, encoding: .utf8).split(separator: "\n").count == 2)
    }

    @Test("eval --run reproduces the run's validation metrics; a rescaled file is not re-fitted away")
    func evalRun() throws {
        let (dir, out, _, summary) = Self.shared
        let result = try CLI.run(["eval", "--run", out, "--json"], in: dir)
        #expect(result.status == 0, "\(result.stderr)")
        let object = try #require(JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        // Equal up to JSON's decimal printing (Foundation may print one digit short of a round trip).
        #expect(abs((object["loss"] as? Double ?? .nan) - summary.validation.loss!) < 1e-12)
        #expect(abs((object["auc"] as? Double ?? .nan) - summary.validation.auc!) < 1e-12)
        for key in ["precision", "recall", "f1", "accuracy"] { #expect(object[key] != nil, "\(key)") }
        // ×10 + 100 on every number: with re-fitted standardisation the metrics would not move.
        let original = dir + "/patients.csv", scaled = dir + "/scaled.csv"
        let text = try String(contentsOfFile: original, encoding: .utf8)
        let rescaled = text.split(separator: "\n").enumerated().map { k, line -> String in
            guard k > 0 else { return String(line) }
            var cells = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            for c in [1, 2] where !cells[c].isEmpty { cells[c] = String(Double(cells[c])! * 10 + 100) }
            return cells.joined(separator: ",")
        }.joined(separator: "\n")
        try TT.write(rescaled, to: scaled)
        let plain = try CLI.run(["eval", "--run", out, "--data", original, "--json"], in: dir)
        let moved = try CLI.run(["eval", "--run", out, "--data", scaled, "--json"], in: dir)
        #expect(plain.status == 0 && moved.status == 0, "\(plain.stderr)\(moved.stderr)")
        let a = try #require(JSONSerialization.jsonObject(with: Data(plain.stdout.utf8)) as? [String: Any])
        let b = try #require(JSONSerialization.jsonObject(with: Data(moved.stdout.utf8)) as? [String: Any])
        #expect(a["samples"] as? Int == 400)
        #expect(a["loss"] as? Double != b["loss"] as? Double)
    }

    @Test("eval with another model's config or weights is refused in one line")
    func evalRefusesForeignWeights() throws {
        let (dir, out, _, _) = Self.shared
        let other = try CLI.run(["eval", "--config", TT.shippedConfig("digits-mlp.yaml"), "--weights", out + "/model.safetensors"], in: dir)
        #expect(other.status != 0)
        #expect(other.errorLines.count == 1 && other.errorLines[0].contains("has shape"), "\(other.stderr)")
        try TT.write(PatientsCSV.configYAML(path: dir + "/patients.csv", steps: 61, outputDir: out), to: dir + "/changed.yaml")
        let changed = try CLI.run(["eval", "--config", dir + "/changed.yaml", "--weights", out + "/model.safetensors"], in: dir)
        #expect(changed.status != 0)
        #expect(changed.errorLines.count == 1 && changed.errorLines[0].contains("trained with another config"), "\(changed.stderr)")
    }
}

@Suite("predict streams a file in chunks")
struct PredictStreamingTests {
    @Test("small read and row chunks give the same predictions as one chunk, with progress lines")
    func chunked() throws {
        let dir = try TT.temporaryDirectory("predict-stream")
        defer { TT.remove(dir) }
        let (_, _, out) = try PatientsCSV.train(in: dir, steps: 10)
        let input = dir + "/many.csv"
        try TT.write(PatientsCSV.file(20_000, 3000, withLabel: false), to: input)
        let folder = try RunFolder.load(out)
        let whole = try Predictor(folder: folder, weights: out + "/model.safetensors")
        let wholeReport = try whole.predict(input: input, output: dir + "/whole.csv", idColumn: "patient_id")
        var streaming = try Predictor(folder: folder, weights: out + "/model.safetensors")
        streaming.chunk = 97
        streaming.readChunkBytes = 4096
        var logged: [String] = []
        let report = try streaming.predict(input: input, output: dir + "/stream.csv", idColumn: "patient_id") { logged.append($0) }
        #expect(report.rows == 3000 && wholeReport.rows == 3000)
        // Row chunks change GEMM shapes, so compare numbers, not bytes.
        let a = try String(contentsOfFile: dir + "/whole.csv", encoding: .utf8).split(separator: "\n")
        let b = try String(contentsOfFile: dir + "/stream.csv", encoding: .utf8).split(separator: "\n")
        #expect(a.count == 3001 && b.count == 3001 && a[0] == b[0])
        for (x, y) in zip(a.dropFirst(), b.dropFirst()) {
            let u = x.split(separator: ","), v = y.split(separator: ",")
            #expect(u[0] == v[0] && abs(Double(u[1])! - Double(v[1])!) < 1e-5)
        }
        let progress = logged.filter { $0.hasPrefix("predict: ") }
        #expect(progress.count >= 5, "\(logged)")
        #expect(logged.filter { $0.contains("ignoring column") }.count == 1)   // reported once, not per row
    }
}
