import SystemPackage

/// The checkpoint a run resumed from, what loading it returned, and the newer candidates that were
/// passed over with the reason for each (newest first). See `CheckpointDirectory.resume(using:)`.
public struct ResumedCheckpoint<Value> {
    /// The file that loaded.
    public let path: String
    /// What the load closure returned for it (typically the step it had completed).
    public let value: Value
    /// Candidates tried before it, newest first: the `latest` pointer itself when it was unusable, and
    /// each checkpoint that failed to load, with the error's one-line description.
    public let skipped: [(path: String, reason: String)]

    /// One line for the run's log: `resuming from DIR/step-00000010.safetensors (skipped DIR/step-00000020.safetensors: …)`.
    public var report: String {
        guard !skipped.isEmpty else { return "resuming from \(path)" }
        return "resuming from \(path) (skipped \(skipped.count) newer: " + skipped.map(\.reason).joined(separator: "; ") + ")"
    }
}

/// Thrown by a `CheckpointDirectory.resume(using:)` load closure to end the search with `error`
/// instead of trying older checkpoints: the file is sound but says this run cannot resume here (it has
/// finished, or it was written by another config), which no older checkpoint would change.
///
/// ```swift
/// guard step < totalSteps else { throw ResumeSearchEnd(TrainingError("\(path): the run already finished")) }
/// ```
public struct ResumeSearchEnd: Error, CustomStringConvertible {
    public let error: any Error
    public init(_ error: any Error) { self.error = error }
    public var description: String { String(describing: error) }
}

extension CheckpointDirectory {
    /// Resumes from the newest checkpoint that loads: first the file `latest` names, then every
    /// `step-*.safetensors` from the highest step down. `load` is called with each candidate's path
    /// until one returns; its errors (a digest mismatch, a truncated file, a model that does not fit)
    /// are recorded and the next older candidate is tried, except `ResumeSearchEnd`, whose error is
    /// thrown at once. A missing, malformed or dangling `latest`
    /// pointer is recorded the same way. `load` must fully overwrite whatever a failed attempt changed
    /// (loading a state dict and optimizer state does).
    ///
    /// Returns `nil` when the directory holds neither pointer nor checkpoint (a fresh run). When
    /// candidates exist but none loads it throws, so a run never silently starts over from step 0:
    /// the load's own error if there was a single candidate, else a one-line `.mismatch` error naming
    /// the directory and the reasons.
    ///
    /// ```swift
    /// if let resumed = try checkpoints.resume(using: { path in try restore(trainer, from: path) }) {
    ///     log(resumed.report)   // resuming from run/checkpoints/step-00000010.safetensors (skipped 1 newer: …)
    /// }
    /// ```
    public func resume<Value>(using load: (String) throws -> Value) throws -> ResumedCheckpoint<Value>? {
        var skipped: [(path: String, reason: String)] = []
        var candidates: [String] = []
        let pointer = path + "/" + Self.pointerName
        do {
            if let named = try pointedPath() { candidates.append(named) }
        } catch {
            skipped.append((pointer, Self.oneLine(error)))
        }
        for checkpoint in try checkpoints().reversed() where !candidates.contains(checkpoint.path) {
            candidates.append(checkpoint.path)
        }
        var onlyError: (any Error)?
        for candidate in candidates {
            do {
                return ResumedCheckpoint(path: candidate, value: try load(candidate), skipped: skipped)
            } catch let end as ResumeSearchEnd {
                throw end.error
            } catch {
                skipped.append((candidate, Self.oneLine(error)))
                onlyError = error
            }
        }
        guard !skipped.isEmpty else { return nil }
        // With one candidate and nothing else skipped, its own error is the clearest report.
        if skipped.count == 1, candidates.count == 1, let onlyError { throw onlyError }
        var message = "no checkpoint can be resumed: " + skipped.prefix(3).map(\.reason).joined(separator: "; ")
        if skipped.count > 3 { message += "; and \(skipped.count - 3) more" }
        throw CheckpointError(.mismatch, source: path, message)
    }

    /// The file the `latest` pointer names, `nil` if there is no pointer; throws if the pointer is
    /// unreadable, malformed, or names a file that does not exist.
    func pointedPath() throws -> String? {
        let pointer = path + "/" + Self.pointerName
        guard try FileType.of(pointer) != nil else { return nil }
        let content = String(decoding: try RegularFile.contents(of: pointer), as: UTF8.self)
        let name = content.trimmingWhitespace()
        guard !name.isEmpty, !name.contains("/"), name != ".", name != ".." else {
            throw CheckpointError(.mismatch, source: pointer, "expected a checkpoint file name, found \(quoted(content))")
        }
        guard try FileType.of(path + "/" + name) != nil else {
            throw CheckpointError(.mismatch, source: pointer, "names \(quoted(name)), which does not exist in \(path)")
        }
        return path + "/" + name
    }

    /// An error's description on one line (line breaks become spaces), for a combined report.
    private static func oneLine(_ error: any Error) -> String {
        String(describing: error).split(whereSeparator: \.isNewline).joined(separator: " ")
    }
}
