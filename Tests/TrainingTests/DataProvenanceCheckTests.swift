import Foundation
import Testing
import Training
import Config

/// Issue 23, item 8: `data.json` is checked, not only written. `eval --run` rebuilds the validation
/// rows from the files it records and refuses when they changed or the record is gone; `--resume`
/// refuses changed data unless `--allow-data-change`, and then keeps the earlier record.
@Suite("data.json: checked on resume and on eval --run", .serialized)
struct DataProvenanceCheckTests {
    typealias P = CheckpointedPatients

    @Test("eval --run refuses a missing, damaged or foreign data.json and a changed training file; --data still works")
    func evalRunChecksTheRecord() throws {
        let dir = try TT.temporaryDirectory("provenance-eval")
        defer { TT.remove(dir) }
        let csv = dir + "/patients.csv", out = dir + "/run", record = out + "/data.json"
        try TT.write(PatientsCSV.file(0, 400), to: csv)
        _ = try P.run(csv: csv, out: out, steps: 4)
        let original = P.bytes(record)!
        #expect(try CLI.run(["eval", "--run", out], in: dir).status == 0)
        let text = String(decoding: original, as: UTF8.self)
        let cases: [(String, String?, String)] = [
            ("missing", nil, "data.json: missing"),
            ("garbage", "{\"files\": 3", "data.json: not a Lockstep data record"),
            ("another training file", text.replacingOccurrences(of: csv, with: dir + "/other.csv"), "but the config's data.path is"),
            ("another split", text.replacingOccurrences(of: "\"validation_fraction\" : 0.25", with: "\"validation_fraction\" : 0.5"),
             "validation_fraction 0.5 is not the config's 0.25"),
        ]
        for (name, content, phrase) in cases {
            if let content { try TT.write(content, to: record) } else { try FileManager.default.removeItem(atPath: record) }
            if name == "another split" { #expect(content != text, "the split edit did not apply") }
            let error = #expect(throws: TrainingError.self, "\(name)") { try RunFolder.load(out).validationSet() }
            #expect(P.oneLine(error).contains(phrase), "\(name): \(String(describing: error))")
            let cli = try CLI.run(["eval", "--run", out], in: dir)
            #expect(cli.status != 0 && cli.errorLines.count == 1 && cli.errorLines[0].contains(phrase), "\(name): \(cli.stderr)")
        }
        try original.write(to: URL(fileURLWithPath: record))
        // The training file changed: its held-out rows would be other rows, some trained on.
        try TT.write(PatientsCSV.file(0, 401), to: csv)
        let changed = #expect(throws: TrainingError.self) { try RunFolder.load(out).validationSet() }
        #expect(P.oneLine(changed).contains("\(csv) has changed (recorded: 400 rows"))
        let cli = try CLI.run(["eval", "--run", out], in: dir)
        #expect(cli.status != 0 && cli.errorLines.count == 1 && cli.errorLines[0].contains("has changed"), "\(cli.stderr)")
        #expect(try CLI.run(["eval", "--run", out, "--data", csv], in: dir).status == 0)
    }

    @Test("a changed validation file is refused by eval --run")
    func evalRunChecksTheValidationFile() throws {
        let dir = try TT.temporaryDirectory("provenance-valfile")
        defer { TT.remove(dir) }
        try TT.write(PatientsCSV.file(1000, 120), to: dir + "/valid.csv")
        let (_, _, out) = try PatientsCSV.train(in: dir, steps: 4) { $0.dataOptions.validationPath = dir + "/valid.csv" }
        #expect(try RunFolder.load(out).validationSet().count == 120)
        try TT.write(PatientsCSV.file(2000, 120), to: dir + "/valid.csv")
        let error = #expect(throws: TrainingError.self) { try RunFolder.load(out).validationSet() }
        #expect(P.oneLine(error).contains("valid.csv has changed"))
    }

    @Test("--resume on changed data is refused; --allow-data-change continues and data.json keeps the earlier record")
    func resumeChecksTheData() throws {
        let dir = try TT.temporaryDirectory("provenance-resume")
        defer { TT.remove(dir) }
        let csv = dir + "/patients.csv", out = dir + "/run", record = out + "/data.json"
        try TT.write(PatientsCSV.file(0, 400), to: csv)
        _ = try P.run(csv: csv, out: out, steps: 4)
        let first = try #require(RunFolder.load(out).data)
        try TT.write(PatientsCSV.file(3000, 400), to: csv)
        let before = P.bytes(record)
        let refused = #expect(throws: TrainingError.self) {
            _ = try P.run(csv: csv, out: out, steps: 6, resume: true) { $0.allowedConfigChanges = ["train.steps"] }
        }
        let message = P.oneLine(refused)
        #expect(message.contains("data.json: \(csv) has changed") && message.contains("--allow-data-change"), "\(message)")
        #expect(P.bytes(record) == before, "the record was rewritten by a refused resume")

        let log = P.Log()
        let summary = try P.run(csv: csv, out: out, steps: 6, resume: true, log: log) {
            $0.allowedConfigChanges = ["train.steps"]
            $0.allowsDataChange = true
        }
        #expect(summary.steps == 6)
        #expect(log.lines.contains { $0.contains("resuming on other data than steps 1…4 trained on") })
        let second = try #require(RunFolder.load(out).data)
        #expect(second.files[0].sha256 != first.files[0].sha256)
        let earlier = try #require(second.earlier)
        #expect(earlier.count == 1 && earlier[0].files == first.files && earlier[0].validationFraction == first.validationFraction
                && earlier[0].untilStep == 4, "\(earlier)")
        // Resumed again on the same (new) data: no change, and the history stays.
        _ = try P.run(csv: csv, out: out, steps: 8, resume: true) { $0.allowedConfigChanges = ["train.steps"] }
        #expect(try RunFolder.load(out).data?.earlier == second.earlier)
    }

    @Test("--resume with data.json missing warns and goes on; damaged, it is refused unless --allow-data-change")
    func resumeWithoutARecord() throws {
        let dir = try TT.temporaryDirectory("provenance-missing")
        defer { TT.remove(dir) }
        let csv = dir + "/patients.csv", out = dir + "/run", record = out + "/data.json"
        try TT.write(PatientsCSV.file(0, 400), to: csv)
        _ = try P.run(csv: csv, out: out, steps: 4)
        try TT.write("[1, 2", to: record)
        let damaged = #expect(throws: TrainingError.self) {
            _ = try P.run(csv: csv, out: out, steps: 6, resume: true) { $0.allowedConfigChanges = ["train.steps"] }
        }
        #expect(P.oneLine(damaged).contains("data.json: damaged"))
        try FileManager.default.removeItem(atPath: record)
        let log = P.Log()
        _ = try P.run(csv: csv, out: out, steps: 6, resume: true, log: log) { $0.allowedConfigChanges = ["train.steps"] }
        #expect(log.lines.contains { $0.contains("data.json is missing: the data of steps 1…4 cannot be checked") })
        #expect(try RunFolder.load(out).data != nil)
    }
}
