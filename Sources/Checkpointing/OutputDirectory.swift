#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

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
            guard let isDirectory = try kind(of: prefix) else { break }
            guard isDirectory else {
                throw CheckpointError(.io, source: prefix, "is not a directory (on the way to \(path))")
            }
            deepestExisting = prefix
        }
        guard access(deepestExisting, W_OK | X_OK) == 0 else {
            throw POSIX.ioError(deepestExisting, "cannot write the output directory \(path) here", call: "access", errno: errno)
        }
        for name in files where try kind(of: path + "/" + name) == true {
            throw CheckpointError(.io, source: path + "/" + name, "is a directory, where the run writes a file")
        }
    }

    /// `mkdir -p`: each missing component is created; an existing non-directory is an error.
    public static func create(_ path: String) throws {
        try check(path)
        for prefix in prefixes(of: path) where try kind(of: prefix) == nil {
            if mkdir(prefix, 0o777) != 0, errno != EEXIST {
                throw POSIX.ioError(prefix, "cannot create the directory", call: "mkdir", errno: errno)
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

    /// true for a directory, false for anything else, nil when nothing is there.
    static func kind(of path: String) throws -> Bool? {
        var info = stat()
        guard stat(path, &info) == 0 else {
            let code = errno
            if code == ENOENT { return nil }
            throw POSIX.ioError(path, "cannot inspect", call: "stat", errno: code)
        }
        return (info.st_mode & S_IFMT) == S_IFDIR
    }
}
