import Foundation
import Testing
import SystemPackage
import Training

/// Issue 23, items 2, 4 and 9, through the binary: no file a user names can hang a command, be
/// replaced when it is a device, a FIFO or a link to one, or be the very file the command reads.
@Suite("User-named files: inputs that are not files, outputs that are not files, outputs that are inputs", .serialized)
struct UserFileTests {
    /// One trained run (the patients CSV) shared by the tests.
    static let shared: (dir: String, out: String) = {
        let dir = try! TT.temporaryDirectory("user-files")
        let (_, _, out) = try! PatientsCSV.train(in: dir, steps: 20)
        try! TT.write(PatientsCSV.file(5000, 30), to: dir + "/new.csv")
        return (dir, out)
    }()

    static func run(_ arguments: [String]) throws -> LockstepProcess.Outcome {
        try LockstepProcess.run(arguments, in: URL(fileURLWithPath: shared.dir), timeout: 60)
    }

    /// Non-blank lines of stderr but predict's note on the columns it ignores (the test files have an
    /// id and a notes column).
    static func errorLines(_ outcome: LockstepProcess.Outcome) -> [String] {
        outcome.stderr.split(whereSeparator: \.isNewline).map(String.init)
            .filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty && !$0.contains("ignoring columns the model does not use") }
    }

    static func fifo(_ name: String) throws -> String {
        let path = shared.dir + "/" + name
        unlink(path)
        guard mkfifo(path, 0o600) == 0 else { throw TrainingError("mkfifo \(path) failed") }
        return path
    }

    static func type(_ path: String, following: Bool = false) throws -> FileType {
        try FilePath(path).stat(followTargetSymlink: following).type
    }

    /// Refused quickly in one line that says what the file is, and the process did not hang.
    static func expectRefused(_ outcome: LockstepProcess.Outcome, mentioning text: String, _ what: String) {
        #expect(!outcome.timedOut, "\(what): hung")
        #expect(outcome.exitedNormally && outcome.status != 0, "\(what): status \(outcome.status)")
        let lines = errorLines(outcome)
        #expect(lines.count == 1 && lines[0].contains(text), "\(what): \(outcome.stderr)")
    }

    @Test("a FIFO or /dev/zero as predict --input, eval --data, data.path or validation_path: refused in one line")
    func inputsThatAreNotFiles() throws {
        let (dir, out) = Self.shared
        let fifo = try Self.fifo("input.fifo")
        for input in [fifo, "/dev/zero"] {
            let predicted = try Self.run(["predict", "--run", out, "--input", input, "--output", dir + "/p.csv"])
            Self.expectRefused(predicted, mentioning: "\(input): cannot read the file: it is not a regular file", "predict --input \(input)")
            let evaluated = try Self.run(["eval", "--run", out, "--data", input])
            Self.expectRefused(evaluated, mentioning: "\(input): cannot read the file: it is not a regular file", "eval --data \(input)")
            let trained = try Self.run(["train", "--config", "config.yaml", "--out", dir + "/fifo-run", "--quiet",
                                        "--set", "data.path=\(input)"])
            Self.expectRefused(trained, mentioning: "\(input): cannot read the file: it is not a regular file", "data.path \(input)")
            let validated = try Self.run(["train", "--config", "config.yaml", "--out", dir + "/fifo-run", "--quiet",
                                          "--set", "data.validation_path=\(input)", "--set", "data.validation_fraction=0",
                                          "--set", "data.exclude=[patient_id,notes]", "--set", "data.categorical=[sex,site]",
                                          "--set", "data.missing=median", "--set", "data.missing_indicators=true"])
            Self.expectRefused(validated, mentioning: "\(input): cannot read the file: it is not a regular file", "validation_path \(input)")
        }
        #expect(try Self.type(fifo) == .fifo)
    }

    @Test("predict and plot write through a FIFO, /dev/null and a link to it, never replacing them; /dev/full is one line")
    func outputsThatAreNotFiles() throws {
        let (dir, out) = Self.shared
        let fifo = try Self.fifo("preds.fifo")
        let reader = OutputFIFOReader(fifo)
        let predicted = try Self.run(["predict", "--run", out, "--input", dir + "/new.csv", "--output", fifo])
        #expect(predicted.status == 0, "\(predicted.stderr)")
        let received = String(decoding: reader.received(), as: UTF8.self)
        #expect(received.hasPrefix("logit,prob\n") && received.split(separator: "\n").count == 31, "\(received.prefix(200))")
        #expect(try Self.type(fifo) == .fifo)

        let link = dir + "/null-link.svg"
        unlink(link)
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: "/dev/null")
        for output in ["/dev/null", link] {
            let plotted = try Self.run(["plot", out, "--output", output])
            #expect(plotted.status == 0, "plot --output \(output): \(plotted.stderr)")
            let predictedToNull = try Self.run(["predict", "--run", out, "--input", dir + "/new.csv", "--output", output])
            #expect(predictedToNull.status == 0, "predict --output \(output): \(predictedToNull.stderr)")
        }
        #expect(try Self.type(link) == .symbolicLink)
        #expect(try Self.type("/dev/null") == .characterSpecial)

        for arguments in [["plot", out, "--output", "/dev/full"],
                          ["predict", "--run", out, "--input", dir + "/new.csv", "--output", "/dev/full"]] {
            Self.expectRefused(try Self.run(arguments), mentioning: "No space left on device", "\(arguments)")
        }
        #expect(try Self.type("/dev/full") == .characterSpecial)
        // (the wording differs: predict streams through `StreamingOutputFile`, plot through `AtomicFile`)

        let lonely = try Self.fifo("nobody.fifo")
        Self.expectRefused(try Self.run(["plot", out, "--output", lonely]), mentioning: "nobody reads", "plot into a FIFO without a reader")
        #expect(try Self.type(lonely) == .fifo)
    }

    @Test("an output that is the input or a run's own file, however spelled, is refused and the file kept")
    func outputsThatAreInputs() throws {
        let (dir, out) = Self.shared
        let input = dir + "/new.csv", model = out + "/model.safetensors"
        let before = try Data(contentsOf: URL(fileURLWithPath: input)), modelBefore = try Data(contentsOf: URL(fileURLWithPath: model))
        let hard = dir + "/hard.csv"
        unlink(hard)
        #expect(link(input, hard) == 0)
        for output in [dir + "/./new.csv", dir + "/../" + URL(fileURLWithPath: dir).lastPathComponent + "/new.csv", "new.csv", hard] {
            let outcome = try Self.run(["predict", "--run", out, "--input", input, "--output", output])
            Self.expectRefused(outcome, mentioning: "is the input file", "predict --output \(output)")
        }
        for output in [model, out + "/./config.yaml", out + "/../run/metrics.jsonl", out + "/summary.json", out + "/data.json"] {
            let outcome = try Self.run(["predict", "--run", out, "--input", input, "--output", output])
            Self.expectRefused(outcome, mentioning: "a file of the run folder", "predict --output \(output)")
        }
        let plotted = try Self.run(["plot", out, "--output", out + "/metrics.jsonl"])
        Self.expectRefused(plotted, mentioning: "a file of the run folder", "plot --output metrics.jsonl")
        try FileManager.default.createDirectory(atPath: dir + "/timeline-run", withIntermediateDirectories: true)
        let timeline = try Self.run(["train", "--config", "config.yaml", "--out", dir + "/timeline-run", "--quiet",
                                     "--timeline", dir + "/timeline-run/./model.safetensors"])
        Self.expectRefused(timeline, mentioning: "a file of the run folder", "train --timeline OUT/model.safetensors")
        #expect(try Data(contentsOf: URL(fileURLWithPath: input)) == before)
        #expect(try Data(contentsOf: URL(fileURLWithPath: model)) == modelBefore)
        #expect(FileManager.default.fileExists(atPath: out + "/metrics.jsonl"))
    }
}

/// Reads a FIFO on a thread until its writer closes it. Opened at once, non-blocking, so that the open
/// does not wait for a writer and a writer's non-blocking open finds a reader; gives up after 120 s.
final class OutputFIFOReader: @unchecked Sendable {
    let path: String
    private let lock = NSLock()
    private var bytes: [UInt8] = []
    private let finished = DispatchSemaphore(value: 0)

    init(_ path: String) {
        self.path = path
        let fd = open(path, O_RDONLY | O_NONBLOCK)
        Thread.detachNewThread { [self] in
            if fd >= 0 {
                var buffer = [UInt8](repeating: 0, count: 1 << 16)
                let deadline = Date().addingTimeInterval(120)
                var seenData = false
                while Date() < deadline {
                    let n = read(fd, &buffer, buffer.count)
                    if n > 0 {
                        seenData = true
                        lock.lock(); bytes += buffer[0..<n]; lock.unlock()
                    } else if n == 0 && seenData {
                        break                                   // the writer closed
                    } else {
                        usleep(2_000)                           // no writer yet (0), or no data yet (EAGAIN)
                    }
                }
                close(fd)
            }
            finished.signal()
        }
    }

    /// What arrived, once the writer closed.
    func received() -> [UInt8] {
        finished.wait()
        lock.lock(); defer { lock.unlock() }
        return bytes
    }
}
