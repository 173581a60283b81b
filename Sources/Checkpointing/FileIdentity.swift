import SystemPackage

/// Which file a path names, by device and inode rather than by its spelling: `dir/./in.csv`,
/// `../x/in.csv`, a symbolic link to it and a hard link all name `in.csv`. A path with nothing there
/// yet is its directory's device and inode plus the last component, so that a file a run is about to
/// write compares equal to a path naming it before it exists.
///
/// ```swift
/// if try FileIdentity(of: "out/../in.csv") == FileIdentity(of: "in.csv") { print("the same file") }
/// ```
public struct FileIdentity: Hashable, Sendable {
    public let device: UInt64
    public let inode: UInt64
    /// The last component, when nothing exists at the path yet; nil for an existing file.
    public let pendingName: String?

    /// The identity of `path`, or nil when neither it nor its directory exists (then it names no file
    /// that anything else could be). Symbolic links are followed. Throws `.io` when `path` cannot be
    /// inspected for another reason (permissions, a loop of links).
    public init?(of path: String) throws {
        if let info = try Self.stat(path) {
            (device, inode, pendingName) = (UInt64(info.deviceID.rawValue), UInt64(info.inode.rawValue), nil)
            return
        }
        let (directory, name) = AtomicFile.split(path)
        guard !name.isEmpty, let parent = try Self.stat(directory) else { return nil }
        (device, inode, pendingName) = (UInt64(parent.deviceID.rawValue), UInt64(parent.inode.rawValue), name)
    }

    private static func stat(_ path: String) throws -> Stat? {
        do {
            return try FilePath(path).stat()
        } catch .noSuchFileOrDirectory, .notDirectory {
            return nil
        } catch {
            throw CheckpointError.io(path, "cannot inspect", call: "stat", error)
        }
    }
}
