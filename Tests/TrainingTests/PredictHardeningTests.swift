import Foundation
import Testing
import Training
import Datasets

/// Issue 23, item 12: `predict` reads a header as eval does, never writes a file of only a header,
/// leaves no hidden temporary when stopped, and every error stays on one line whatever a path holds.
@Suite("predict: duplicate columns, all rows bad, Ctrl-C, line breaks in paths", .serialized)
struct PredictHardeningTests {
    static let shared: (dir: String, out: String) = {
        let dir = try! TT.temporaryDirectory("predict-hardening")
        let (_, _, out) = try! PatientsCSV.train(in: dir, steps: 6)
        return (dir, out)
    }()

    func predict(_ input: String, _ extra: [String] = []) throws -> (CLIResult, String) {
        let output = Self.shared.dir + "/preds-\(UUID().uuidString).csv"
        return (try CLI.run(["predict", "--run", Self.shared.out, "--input", input, "--output", output] + extra, in: Self.shared.dir), output)
    }

    @Test("a header that names a column twice is refused, as eval refuses it")
    func duplicateColumns() throws {
        let input = Self.shared.dir + "/twice.csv"
        try TT.write("age,bmi,sex,site,age\n40,20,F,A,90\n", to: input)
        let (result, output) = try predict(input)
        #expect(result.status != 0 && result.errorLines == ["Error: \(input):1: column \"age\" appears more than once in the header"], "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: output))
        let eval = try CLI.run(["eval", "--run", Self.shared.out, "--data", input], in: Self.shared.dir)
        #expect(eval.status != 0 && eval.errorLines.last == result.errorLines.last, "\(eval.stderr)")
    }

    @Test("--skip-bad-rows with every row bad exits non-zero and writes nothing")
    func everyRowBad() throws {
        let input = Self.shared.dir + "/allbad.csv"
        try TT.write("age,bmi,sex,site\nforty,20,F,A\n40,20,F,Z\n", to: input)
        let (result, output) = try predict(input, ["--skip-bad-rows"])
        #expect(result.status == 1 && result.exitedNormally, "\(result.stderr)")
        #expect(result.errorLines.last == "Error: \(input): all 2 rows are bad (skipped); no predictions written", "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: output))
        #expect(try FileManager.default.contentsOfDirectory(atPath: Self.shared.dir).allSatisfy { !$0.contains(".tmp-") })
    }

    @Test("SIGINT during predict exits 130 and leaves neither the output nor its hidden temporary")
    func interruptLeavesNoTemporary() throws {
        let dir = try TT.temporaryDirectory("predict-sigint")
        defer { TT.remove(dir) }
        let block = PatientsCSV.rows(0, 1000, withLabel: false).joined(separator: "\n") + "\n"
        let input = dir + "/big.csv"
        try TT.write("patient_id,age,bmi,sex,site,notes\n" + String(repeating: block, count: 400), to: input)
        let process = Process()
        process.executableURL = LockstepProcess.binary
        process.arguments = ["predict", "--run", Self.shared.out, "--input", input, "--output", dir + "/preds.csv"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        // The child inherits this thread's signal mask, and the test runner may block SIGINT.
        var signals = sigset_t()
        sigemptyset(&signals)
        sigaddset(&signals, SIGINT)
        pthread_sigmask(SIG_UNBLOCK, &signals, nil)
        try process.run()
        // Signal once the temporary exists: the process is writing predictions.
        let deadline = Date().addingTimeInterval(60)
        var sawTemporary = false
        while process.isRunning && Date() < deadline && !sawTemporary {
            sawTemporary = ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).contains { $0.hasPrefix(".preds.csv.tmp-") }
            if !sawTemporary { Thread.sleep(forTimeInterval: 0.005) }
        }
        #expect(sawTemporary, "predict finished before it could be interrupted")
        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
        #expect(process.terminationReason == .exit && process.terminationStatus == 130)
        let left = try FileManager.default.contentsOfDirectory(atPath: dir)
        #expect(left == ["big.csv"], "\(left)")
    }

    @Test("a line break in a path does not break the one-line error")
    func lineBreakInAPath() throws {
        let run = Self.shared.dir + "/no\nsuch"
        let result = try CLI.run(["predict", "--run", run, "--input", Self.shared.dir + "/x.csv"], in: Self.shared.dir)
        #expect(result.status != 0 && result.errorLines.count == 1, "\(result.stderr)")
        #expect(result.errorLines.first?.contains("no\\nsuch") == true, "\(result.stderr)")
        let input = Self.shared.dir + "/bad\r\ninput.csv"
        let (other, _) = try predict(input)
        #expect(other.status != 0 && other.errorLines.count == 1 && other.errorLines[0].contains("bad\\r\\ninput.csv"), "\(other.stderr)")
    }
}
