#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// What an output directory holds before a run writes there, and whether the run may: a new or empty
/// directory always; a folder holding a run only to continue it (`--resume`) or to replace it
/// (`--overwrite`, which first removes that run's files and nothing else); a directory holding
/// anything else never (`--out /`, `--out ~`): a run would scatter its files among someone else's.
///
/// ```swift
/// try PreviousRun.check("runs/x", resume: false, overwrite: false)   // throws if runs/x holds a run
/// ```
public enum PreviousRun {
    /// The entries a run makes at the top of its folder: any of them makes a directory a run folder.
    public static let entries = ["config.yaml", "preprocessing.json", "data.json", "metrics.jsonl", "model.safetensors",
                                 "summary.json", "best.safetensors", "curves.svg", "checkpoints", "tensorboard"]

    /// Refuses, in one line, a directory this run must not write into.
    public static func check(_ directory: String, resume: Bool, overwrite: Bool) throws {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return }   // new (or not a directory: OutputDirectory says so)
        let run = entries.filter { names.contains($0) }
        let foreign = names.filter { !entries.contains($0) && !isOwnHiddenFile($0) }.sorted()
        if run.isEmpty {
            guard foreign.isEmpty else {
                let shown = foreign.prefix(4).map { String($0.prefix(40)) }.joined(separator: ", ") + (foreign.count > 4 ? ", …" : "")
                throw TrainingError("\(directory): not empty (\(shown)) and holds no run: give --out a new or empty directory")
            }
            return
        }
        if resume || overwrite { return }
        let finished = names.contains("summary.json")
        throw TrainingError("\(directory) holds \(finished ? "a finished" : "an unfinished") run (\(run.prefix(4).joined(separator: ", "))\(run.count > 4 ? ", …" : "")): continue it with --resume\(finished ? " (and --allow-config-change train.steps to train longer)" : ""), or replace it with --overwrite")
    }

    /// Whether the folder holds a run that ended (its `summary.json`).
    public static func isFinished(_ directory: String) -> Bool {
        FileManager.default.fileExists(atPath: directory + "/summary.json")
    }

    /// Removes the previous run's files for `--overwrite`: the entries above (in `checkpoints/` and
    /// `tensorboard/` only the files a run writes there) and temporaries a crash left; `summary.json`
    /// first, so that a folder cleared halfway never looks finished. Other files stay.
    public static func clear(_ directory: String) throws {
        for name in ["summary.json"] + entries where name != "checkpoints" && name != "tensorboard" {
            try remove(directory + "/" + name)
        }
        for (sub, isRunFile) in [("checkpoints", { (n: String) in n == "latest" || (n.hasPrefix("step-") && n.hasSuffix(".safetensors")) }),
                                 ("tensorboard", { (n: String) in n.hasPrefix("events.out.tfevents.") })] {
            let path = directory + "/" + sub
            for name in (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? [] where isRunFile(name) || isTemporary(name) {
                try remove(path + "/" + name)
            }
            _ = rmdir(path)   // left in place when it holds anything else
        }
        for name in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [] where isTemporary(name) {
            try remove(directory + "/" + name)
        }
    }

    /// The folder's lock file and temporaries (`.NAME.tmp-…`) left by a crash mid-write.
    static func isOwnHiddenFile(_ name: String) -> Bool {
        name == ".lock" || isTemporary(name)
    }

    static func isTemporary(_ name: String) -> Bool {
        name.hasPrefix(".") && name.contains(".tmp-")
    }

    private static func remove(_ path: String) throws {
        guard unlink(path) != 0, errno != ENOENT else { return }
        throw TrainingError("\(path): cannot remove the previous run's file (\(String(cString: strerror(errno))))")
    }
}
