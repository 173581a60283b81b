import SystemPackage

/// A run's checkpoint folder: `step-00000100.safetensors` files, a `latest` pointer naming the newest,
/// and only the last `keep` checkpoints kept. Only rank 0 writes to it.
///
/// Every file is written atomically, and in an order that survives a crash at any point: the new
/// checkpoint, then the pointer, then the removal of old ones. So `latest` always names a complete
/// file, and the previous checkpoints are deleted only once the new one is durable. Temporaries left
/// by a crash mid-write are swept up by the next save.
///
/// ```swift
/// let checkpoints = CheckpointDirectory(path: "runs/exp1/checkpoints", keep: 3)
/// try checkpoints.save(archive, step: 100)          // runs/exp1/checkpoints/step-00000100.safetensors
/// let resumed = try checkpoints.resume { path in  // on resume: the newest checkpoint that loads
///     try SafetensorsArchive(contentsOf: path)
/// }
/// ```
public struct CheckpointDirectory: Sendable {
    /// The pointer file's name inside the directory.
    public static let pointerName = "latest"

    public let path: String
    /// How many checkpoints to keep, the newest included (at least 1).
    public let keep: Int

    /// Describes the directory; nothing is touched until `save`, which creates it if needed.
    public init(path: String, keep: Int = 3) {
        precondition(keep >= 1, "CheckpointDirectory must keep at least one checkpoint, not \(keep)")
        self.path = path
        self.keep = keep
    }

    /// `step-00000100.safetensors`: zero-padded so that names sort like steps up to 10^8.
    public static func fileName(step: Int) -> String {
        precondition(step >= 0, "negative step \(step)")
        let digits = String(step)
        return "step-" + String(repeating: "0", count: max(0, 8 - digits.count)) + digits + ".safetensors"
    }

    /// The step of a checkpoint file name, or `nil` if `name` is not one.
    public static func step(fromFileName name: String) -> Int? {
        guard name.hasPrefix("step-"), name.hasSuffix(".safetensors") else { return nil }
        let digits = name.dropFirst("step-".count).dropLast(".safetensors".count)
        guard !digits.isEmpty, digits.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        return Int(digits)
    }

    private func pathOf(_ name: String) -> String { path + "/" + name }

    /// The checkpoints on disk, oldest first.
    public func checkpoints() throws -> [(step: Int, path: String)] {
        guard let names = try entryNames() else { return [] }
        return names.compactMap { name in Self.step(fromFileName: name).map { ($0, pathOf(name)) } }
            .sorted { $0.step < $1.step }
    }

    /// Writes `archive` as the checkpoint of `step`, points `latest` at it, then removes the older
    /// checkpoints beyond the last `keep`. Checkpoints of later steps (left by an abandoned run that
    /// this one resumed before) are never removed. Returns the new file's path.
    @discardableResult
    public func save(_ archive: SafetensorsArchive, step: Int) throws -> String {
        let name = Self.fileName(step: step)
        try Self.makeDirectories(path)
        try archive.write(to: pathOf(name))
        try AtomicFile.write(Array((name + "\n").utf8), to: pathOf(Self.pointerName))
        // Only now, with the new checkpoint and the pointer durable, is deleting old ones safe.
        let older = try checkpoints().filter { $0.step < step }
        for old in older.dropLast(keep - 1) {
            try Self.removeFile(old.path)
        }
        try removeStaleTemporaries()
        return pathOf(name)
    }

    /// Removes temporaries that a crash mid-write left next to checkpoints or the pointer; each may be
    /// as large as a checkpoint. Called after a save, when none of this writer's own are in flight.
    private func removeStaleTemporaries() throws {
        for name in try entryNames() ?? [] {
            guard let target = AtomicFile.target(ofTemporary: name),
                  target == Self.pointerName || Self.step(fromFileName: target) != nil else { continue }
            try Self.removeFile(pathOf(name))
        }
    }

    /// The checkpoint to resume from: the file `latest` names, or, if there is no pointer (a crash
    /// between the first checkpoint and its pointer), the highest step on disk; `nil` if there is no
    /// checkpoint at all. Throws if the pointer is malformed or names a file that is gone. This does
    /// not open the checkpoint; `resume(using:)` also falls back past one that does not load.
    public func latestPath() throws -> String? {
        try pointedPath() ?? checkpoints().last?.path
    }

    /// The names in the directory (without "." and ".."), or `nil` if the directory does not exist.
    private func entryNames() throws -> [String]? {
        let stream: DirectoryStream
        do {
            stream = try DirectoryStream(FilePath(path))
        } catch .noSuchFileOrDirectory {
            return nil
        } catch {
            throw CheckpointError.io(path, "cannot list directory", call: "opendir", error)
        }
        var names: [String] = []
        while let name = try CheckpointError.io(path, "cannot list directory", call: "readdir", { try stream.next() }) {
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// Creates `path` and any missing parents (like `mkdir -p`), flushing each parent that gains an
    /// entry so that the new directory survives a crash along with the files later put in it.
    private static func makeDirectories(_ path: String) throws {
        if try FileType.of(path) != nil { return }
        let (parent, _) = AtomicFile.split(path)
        if parent != path { try makeDirectories(parent) }
        do {
            try FilePath(path).makeDirectory(permissions: FilePermissions(rawValue: 0o755))
        } catch .fileExists {
            return   // created meanwhile by someone else: fine
        } catch {
            throw CheckpointError.io(path, "cannot create directory", call: "mkdir", error)
        }
        try AtomicFile.syncDirectory(parent)
    }

    /// Removes a file; one that is already gone is not an error.
    private static func removeFile(_ path: String) throws {
        do {
            try FilePath(path).removeFile()
        } catch .noSuchFileOrDirectory {
            return
        } catch {
            throw CheckpointError.io(path, "cannot remove", call: "unlink", error)
        }
    }
}

extension String {
    /// Without leading and trailing spaces, tabs and line breaks (no Foundation needed).
    func trimmingWhitespace() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" || $0 == "\r\n" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(self[first...last])
    }
}
