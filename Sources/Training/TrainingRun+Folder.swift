import Foundation
import Checkpointing
import Config

/// What a run checks about its output folder and its inputs' history before it writes anything.
extension TrainingRun {
    /// Rank 0, before any work: refuses a folder this run may not write into (`PreviousRun`), and when
    /// the folder exists locks it (`FolderLock`) and checks again under the lock, so that two runs
    /// starting together cannot both pass. A new folder is locked when it is created. A finished run
    /// resumed with no checkpoint to resume from would start over and replace it: refused too.
    func claimOutputFolder() throws -> FolderLock? {
        try PreviousRun.check(outputDirectory, resume: resume, overwrite: overwrite)
        guard FileManager.default.fileExists(atPath: outputDirectory) else { return nil }
        // A restart follows a failed attempt whose rank 0 may still be ending on a host that answers
        // (its daemon ends it once mpirun is gone): it gets a bounded wait, not an instant refusal.
        let lock = try FolderLock.acquire(outputDirectory, purpose: "lockstep train", waiting: restart.number > 0 ? restartLockWait : 0)
        try PreviousRun.check(outputDirectory, resume: resume, overwrite: overwrite)
        if resume, PreviousRun.isFinished(outputDirectory), try checkpointDirectory.checkpoints().isEmpty {
            throw TrainingError("\(outputDirectory): the run finished and has no checkpoint to resume from; to train it again from the start, use --overwrite")
        }
        return lock
    }

    /// A resumed run's data against `data.json`, the record of what its steps so far trained on: the
    /// same files' bytes and rows, and the same split. Changed data is refused unless
    /// `allowsDataChange`, and then the old record moves into the history this returns (to be
    /// written as data.json's `earlier`), so it is never lost. The record's own history is kept.
    func dataHistory(now data: PreparedData, resumedAt step: Int) throws -> [EarlierData]? {
        let path = outputDirectory + "/" + RunFolder.dataFile
        let now = RunData(files: data.provenance, validationFraction: data.validationFraction)
        guard let bytes = FileManager.default.contents(atPath: path) else {
            if isRankZero { log("warning: \(path) is missing: the data of steps 1…\(step) cannot be checked") }
            return nil
        }
        guard let recorded = try? JSONDecoder().decode(RunData.self, from: bytes) else {
            guard allowsDataChange else {
                throw TrainingError("\(path): damaged: it is the record of what steps 1…\(step) trained on; restore it, or resume with --allow-data-change to continue without it")
            }
            if isRankZero { log("warning: \(path) is damaged; continuing without the record of steps 1…\(step) (--allow-data-change)") }
            return nil
        }
        guard let change = now.change(since: recorded) else { return recorded.earlier }
        guard allowsDataChange else {
            throw TrainingError("\(path): \(change): steps 1…\(step) trained on the recorded data; to continue on this data, resume with --allow-data-change (data.json keeps the earlier record)")
        }
        if isRankZero { log("resuming on other data than steps 1…\(step) trained on: \(change); data.json keeps the earlier record") }
        return now.replacing(recorded, atStep: step).earlier
    }

    /// Every `--allow-config-change` key must name a key of one of `configs` (this run's, and the
    /// checkpoint's when there is one), so that a typo is not silently a no-op.
    func checkAllowedKeys(against configs: [RunConfig]) throws {
        let known = configs.flatMap(\.keyPaths)
        for key in allowedConfigChanges.sorted() where !known.contains(key) {
            let hint = ConfigValue.closestKey(to: key, among: known).map { " (did you mean '\($0)'?)" } ?? ""
            throw TrainingError("--allow-config-change \(key): no such key in this run's config\(configs.count > 1 ? " or the checkpoint's" : "")\(hint)")
        }
    }
}
