import SystemPackage

extension FileType {
    /// The type of what is at `path` (`stat`, so a symbolic link counts as what it points to), or
    /// `nil` when nothing is there; any other failure is thrown as a `.io` error naming `path`.
    static func of(_ path: String) throws -> FileType? {
        do {
            return try FilePath(path).stat().type
        } catch .noSuchFileOrDirectory {
            return nil
        } catch {
            throw CheckpointError.io(path, "cannot inspect", call: "stat", error)
        }
    }
}
