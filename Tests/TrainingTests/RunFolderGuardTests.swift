import Foundation
import Testing
import Checkpointing
import Training
import Config

/// Issue 23, items 3, 11 and 12: one writer per run folder (`FolderLock`), a run never replaced
/// without `--overwrite` (`PreviousRun`), and `--allow-config-change` keys that must exist.
@Suite("run folder guards: the lock, --overwrite, --allow-config-change keys", .serialized)
struct RunFolderGuardTests {
    typealias P = CheckpointedPatients

    @Test("a finished run is refused without --resume or --overwrite, and left as it was")
    func finishedRunIsNotReplaced() throws {
        let dir = try TT.temporaryDirectory("guard-finished")
        defer { TT.remove(dir) }
        let csv = dir + "/patients.csv", out = dir + "/run"
        try TT.write(PatientsCSV.file(0, 400), to: csv)
        _ = try P.run(csv: csv, out: out, steps: 4)
        let model = P.bytes(out + "/model.safetensors"), metrics = P.bytes(out + "/metrics.jsonl")
        let error = #expect(throws: TrainingError.self) { _ = try P.run(csv: csv, out: out, steps: 6) }
        let message = P.oneLine(error)
        #expect(message.contains("holds a finished run") && message.contains("--overwrite"), "\(message)")
        #expect(P.bytes(out + "/model.safetensors") == model && P.bytes(out + "/metrics.jsonl") == metrics)

        // --overwrite removes the old run's files (a stale checkpoint of another config among them),
        // keeps a file of the user's, and trains afresh.
        try TT.write("stale", to: out + "/checkpoints/step-00000099.safetensors")
        try TT.write("mine", to: out + "/notes.txt")
        let summary = try P.run(csv: csv, out: out, steps: 6) { $0.overwrite = true }
        #expect(summary.steps == 6)
        #expect(!FileManager.default.fileExists(atPath: out + "/checkpoints/step-00000099.safetensors"))
        #expect(P.bytes(out + "/notes.txt") == Data("mine".utf8))
        let steps = try String(contentsOfFile: out + "/metrics.jsonl", encoding: .utf8)
        #expect(!steps.contains("\"step\":99"))
    }

    @Test("a directory that holds other files (like /) is refused; an empty one is fine")
    func foreignDirectoryIsRefused() throws {
        let root = #expect(throws: TrainingError.self) { try PreviousRun.check("/", resume: false, overwrite: true) }
        #expect(P.oneLine(root).contains("/: not empty ("))
        let dir = try TT.temporaryDirectory("guard-foreign")
        defer { TT.remove(dir) }
        try TT.write(PatientsCSV.file(0, 400), to: dir + "/patients.csv")
        let error = #expect(throws: TrainingError.self) { _ = try P.run(csv: dir + "/patients.csv", out: dir, steps: 2) }
        #expect(P.oneLine(error).contains("holds no run: give --out a new or empty directory"))
        #expect(!FileManager.default.fileExists(atPath: dir + "/config.yaml"))
        let empty = dir + "/empty"
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: false)
        _ = try P.run(csv: dir + "/patients.csv", out: empty, steps: 2)
    }

    @Test("a folder another writer holds is refused naming its pid: train, resume and predict into it")
    func lockedFolderIsRefused() throws {
        let dir = try TT.temporaryDirectory("guard-lock")
        defer { TT.remove(dir) }
        let csv = dir + "/patients.csv", out = dir + "/run"
        try TT.write(PatientsCSV.file(0, 400), to: csv)
        _ = try P.run(csv: csv, out: out, steps: 4)
        let lock = try FolderLock.acquire(out, purpose: "a test")
        let holder = "in use by pid \(getpid()) (a test)"
        let resumed = #expect(throws: CheckpointError.self) {
            _ = try P.run(csv: csv, out: out, steps: 6, resume: true) { $0.allowedConfigChanges = ["train.steps"] }
        }
        #expect(P.oneLine(resumed).contains(holder))
        let replaced = #expect(throws: CheckpointError.self) { _ = try P.run(csv: csv, out: out, steps: 6) { $0.overwrite = true } }
        #expect(P.oneLine(replaced).contains(holder))
        try TT.write(PatientsCSV.file(500, 20, withLabel: false), to: dir + "/new.csv")
        let predictor = try Predictor(folder: try RunFolder.load(out), weights: out + "/model.safetensors")
        let predicted = #expect(throws: CheckpointError.self) {
            _ = try predictor.predict(input: dir + "/new.csv", output: out + "/preds.csv", idColumn: nil)
        }
        #expect(P.oneLine(predicted).contains(holder))
        #expect(!FileManager.default.fileExists(atPath: out + "/preds.csv"))
        // Another process is told the same (flock, not a lock of this process's making).
        let cli = try CLI.run(["train", "--config", out + "/config.yaml", "--out", out, "--resume",
                               "--allow-config-change", "train.steps", "--set", "train.steps=6"], in: dir)
        #expect(cli.status != 0 && cli.exitedNormally)
        #expect(cli.errorLines.count == 1 && cli.errorLines[0].contains(holder), "\(cli.stderr)")
        lock.release()
        _ = try predictor.predict(input: dir + "/new.csv", output: out + "/preds.csv", idColumn: nil)
        let summary = try P.run(csv: csv, out: out, steps: 6, resume: true) { $0.allowedConfigChanges = ["train.steps"] }
        #expect(summary.steps == 6)
    }

    @Test("the lock is the process's: it ends with a killed holder, and a lock taken twice in one process excludes")
    func lockEndsWithItsHolder() throws {
        let dir = try TT.temporaryDirectory("guard-lock-kill")
        defer { TT.remove(dir) }
        let first = try FolderLock.acquire(dir, purpose: "first")
        #expect(throws: CheckpointError.self) { _ = try FolderLock.acquire(dir, purpose: "second") }
        first.release()
        // A holder killed with SIGKILL: another process (one, without children) flocks the file, then kill -9.
        let holder = Process()
        holder.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        holder.arguments = ["python3", "-c", "import fcntl, sys, time; f = open(sys.argv[1], 'a'); fcntl.flock(f, fcntl.LOCK_EX); time.sleep(30)",
                            dir + "/.lock"]
        try holder.run()
        var blocked = false
        for _ in 0..<200 where !blocked {
            Thread.sleep(forTimeInterval: 0.02)
            blocked = (try? FolderLock.acquire(dir, purpose: "probe"))?.release() == nil
        }
        #expect(blocked, "the shell's flock was never seen")
        let refused = #expect(throws: CheckpointError.self) { _ = try FolderLock.acquire(dir, purpose: "third") }
        #expect(P.oneLine(refused).contains("in use by"))
        kill(holder.processIdentifier, SIGKILL)
        holder.waitUntilExit()
        let deadline = Date().addingTimeInterval(10)
        var lock: FolderLock?
        while lock == nil && Date() < deadline {
            lock = try? FolderLock.acquire(dir, purpose: "after")
            if lock == nil { Thread.sleep(forTimeInterval: 0.05) }
        }
        #expect(lock != nil, "the lock outlived its killed holder")
    }

    @Test("--allow-config-change must name a config key, and goes with --resume; --resume and --overwrite exclude each other")
    func allowedKeysAreChecked() throws {
        let dir = try TT.temporaryDirectory("guard-keys")
        defer { TT.remove(dir) }
        let csv = dir + "/patients.csv", out = dir + "/run"
        try TT.write(PatientsCSV.file(0, 400), to: csv)
        _ = try P.run(csv: csv, out: out, steps: 4)
        let typo = #expect(throws: TrainingError.self) {
            _ = try P.run(csv: csv, out: out, steps: 6, resume: true) { $0.allowedConfigChanges = ["train.steps", "train.step"] }
        }
        let message = P.oneLine(typo)
        #expect(message.contains("--allow-config-change train.step: no such key") && message.contains("did you mean 'train.steps'"), "\(message)")
        let unknown = #expect(throws: TrainingError.self) {
            _ = try P.run(csv: csv, out: out, steps: 6, resume: true) { $0.allowedConfigChanges = ["train.steps", "no.such.key"] }
        }
        #expect(P.oneLine(unknown).contains("no.such.key: no such key"))
        for arguments in [["--allow-config-change", "train.steps"], ["--allow-data-change"], ["--resume", "--overwrite"]] {
            let cli = try CLI.run(["train", "--config", out + "/config.yaml", "--out", dir + "/other"] + arguments, in: dir)
            #expect(cli.status != 0 && cli.exitedNormally, "\(arguments)")
            let phrase = arguments == ["--resume", "--overwrite"] ? "exclude each other" : "goes with --resume"
            #expect(cli.errorLines.count == 1 && cli.errorLines[0].contains(phrase), "\(arguments): \(cli.stderr)")
            #expect(!FileManager.default.fileExists(atPath: dir + "/other"))
        }
        let summary = try P.run(csv: csv, out: out, steps: 6, resume: true) { $0.allowedConfigChanges = ["train.steps"] }
        #expect(summary.steps == 6)
    }
}
