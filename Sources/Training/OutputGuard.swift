import Foundation
import Checkpointing

/// Refuses an output path that names a file the command reads or a file of a run folder, compared by
/// device and inode (`FileIdentity`), not by spelling: `--output dir/./in.csv` is the input and
/// `--output RUN/model.safetensors` is the run's model, however they are written (through `..`, a
/// symbolic link or a hard link). Writing there would destroy the very file the command reads, or a
/// run's record of itself.
///
/// ```swift
/// try OutputGuard.check("preds.csv", option: "--output", inputs: ["new.csv"], runFolders: ["runs/x"])
/// ```
public enum OutputGuard {
    /// The files a run folder holds or will hold; with whatever else is in it and in its `checkpoints`
    /// folder when the check runs, these are protected.
    public static let runFiles = ["model.safetensors", "summary.json", "metrics.jsonl", "curves.svg", "config.yaml",
                                  "preprocessing.json", "data.json", "checkpoints"]

    /// Throws a one-line `TrainingError` when `output` is one of `inputs` or a file of one of
    /// `runFolders` (the folder itself included).
    public static func check(_ output: String, option: String, inputs: [String] = [], runFolders: [String] = []) throws {
        guard let target = try FileIdentity(of: output) else { return }   // its folder does not exist: nothing to overwrite
        for folder in runFolders {
            for file in [folder] + protectedFiles(of: folder) where try FileIdentity(of: file) == target {
                throw TrainingError("\(option) \(output) is \(file), a file of the run folder \(folder); choose a path outside the run's own files")
            }
        }
        for input in inputs where try FileIdentity(of: input) == target {
            throw TrainingError("\(option) \(output) is the input file \(input); choose another path")
        }
    }

    /// `runFiles` and every entry of the folder and of its `checkpoints` folder (`latest`, each step).
    static func protectedFiles(of folder: String) -> [String] {
        var names = Set(runFiles)
        names.formUnion((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [])
        let checkpoints = ((try? FileManager.default.contentsOfDirectory(atPath: folder + "/checkpoints")) ?? []).map { "checkpoints/" + $0 }
        return (names.sorted() + checkpoints.sorted()).map { folder + "/" + $0 }
    }
}
