import SystemPackage

/// A run's output directory. `check` finds, before any work is done and without creating anything,
/// what would stop the run from writing there: a file where a directory must be, a directory that
/// cannot be written (permissions, a read-only file system), a directory where the run writes a file.
/// `create` then makes it (`mkdir -p`). Each problem is one `CheckpointError` naming the path and the
/// operating system's reason (`strerror`), so `--out` pointing at a file is reported at once, not
/// after training, and a run that fails early leaves no empty directory behind.
///
/// ```swift
/// try OutputDirectory.check("runs/x", files: ["model.safetensors", "summary.json"])
/// // … load data, build the model …
/// try OutputDirectory.create("runs/x")
/// ```
public enum OutputDirectory {
    public static func check(_ path: String, files: [String] = []) throws {
        guard !path.isEmpty else {
            throw CheckpointError(.invalidArgument, source: "output directory", "the path is empty")
        }
        var deepestExisting = path.hasPrefix("/") ? "/" : "."
        for prefix in prefixes(of: path) {
            guard let type = try FileType.of(prefix) else { break }
            guard type == .directory else {
                throw CheckpointError(.io, source: prefix, "is not a directory (on the way to \(path))")
            }
            deepestExisting = prefix
        }
        try CheckpointError.io(deepestExisting, "cannot write the output directory \(path) here", call: "access") {
            try FilePath(deepestExisting).checkWritableDirectory()
        }
        for name in files where try FileType.of(path + "/" + name) == .directory {
            throw CheckpointError(.io, source: path + "/" + name, "is a directory, where the run writes a file")
        }
    }

    /// `mkdir -p`: each missing component is created; an existing non-directory is an error.
    public static func create(_ path: String) throws {
        try check(path)
        for prefix in prefixes(of: path) where try FileType.of(prefix) == nil {
            do {
                try FilePath(prefix).makeDirectory(permissions: FilePermissions(rawValue: 0o777))
            } catch .fileExists {
                // created meanwhile by someone else: fine
            } catch {
                throw CheckpointError.io(prefix, "cannot create the directory", call: "mkdir", error)
            }
        }
    }

    /// `a`, `a/b`, `a/b/c` for `a/b/c` (and `/a`, … for an absolute path).
    static func prefixes(of path: String) -> [String] {
        var prefix = path.hasPrefix("/") ? "/" : ""
        return path.split(separator: "/", omittingEmptySubsequences: true).map { component in
            prefix += (prefix.isEmpty || prefix.hasSuffix("/") ? "" : "/") + component
            return prefix
        }
    }
}
