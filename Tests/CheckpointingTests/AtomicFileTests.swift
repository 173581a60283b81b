#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import Checkpointing

struct AtomicFileTests {
    private let old = Array("old content, complete\n".utf8)
    private let new = [UInt8](repeating: 7, count: 100_000)

    @Test func createsAndReplaces() throws {
        let dir = try TemporaryDirectory()
        let path = dir.file("f.bin")
        try AtomicFile.write(old, to: path)
        #expect(try readBytes(path) == old)
        try AtomicFile.write(new, to: path)
        #expect(try readBytes(path) == new)
        try AtomicFile.write([], to: path)
        #expect(try readBytes(path) == [])
        #expect(try dir.names() == ["f.bin"])   // no temporary left behind
    }

    @Test func relativePathInTheCurrentDirectoryIsSplitCorrectly() {
        #expect(AtomicFile.split("f.bin") == (".", "f.bin"))
        #expect(AtomicFile.split("/f.bin") == ("/", "f.bin"))
        #expect(AtomicFile.split("a/b/f.bin") == ("a/b", "f.bin"))
    }

    @Test func missingDirectoryThrowsAndCreatesNothing() throws {
        let dir = try TemporaryDirectory()
        let path = dir.file("no-such-dir/f.bin")
        let error = checkpointError { try AtomicFile.write(new, to: path) }
        #expect(error?.kind == .io)
        #expect(error?.description.hasPrefix("\(path): cannot create temporary file '\(dir.path)/no-such-dir/.f.bin.tmp-") == true)
        #expect(error?.description.hasSuffix("(open: No such file or directory)") == true)
        #expect(try dir.names() == [])
    }

    @Test func pathNamingADirectoryIsRefused() {
        #expect(checkpointError { try AtomicFile.write(new, to: "/tmp/") }?.kind == .invalidArgument)
    }

    @Test func targetThatIsADirectoryIsLeftAlone() throws {
        let dir = try TemporaryDirectory()
        let target = dir.file("occupied")
        try AtomicFile.write(old, to: target + "-sibling")
        mkdir(target, 0o755)
        try AtomicFile.write(old, to: target + "/inside")
        let error = checkpointError { try AtomicFile.write(new, to: target) }
        #expect(error?.kind == .io)
        #expect(error?.message.contains("(rename: ") == true)
        #expect(try readBytes(target + "/inside") == old)
        #expect(try dir.names() == ["occupied", "occupied-sibling"])
    }

    // Root ignores directory permissions, so this case can only be shown by an ordinary user.
    @Test(.enabled(if: geteuid() != 0, "root can write into a read-only directory"))
    func unwritableDirectoryKeepsTheOldFile() throws {
        let dir = try TemporaryDirectory()
        let path = dir.file("f.bin")
        try AtomicFile.write(old, to: path)
        chmod(dir.path, 0o555)
        defer { chmod(dir.path, 0o755) }
        let error = checkpointError { try AtomicFile.write(new, to: path) }
        #expect(error?.description.hasSuffix("(open: Permission denied)") == true)
        #expect(try readBytes(path) == old)
    }

    @Test(arguments: [AtomicFile.Step.create, .write, .sync, .close, .rename])
    func failureBeforeTheRenameKeepsTheOldFile(step: AtomicFile.Step) throws {
        let dir = try TemporaryDirectory()
        let path = dir.file("f.bin")
        try AtomicFile.write(old, to: path)
        let error = checkpointError { try AtomicFile.write(new, to: path, failingAt: step) }
        #expect(error?.kind == .io)
        #expect(error?.description.hasPrefix(path + ": ") == true)
        #expect(error?.description.hasSuffix(": Input/output error)") == true)
        #expect(try readBytes(path) == old)
        #expect(try dir.names() == ["f.bin"])   // the temporary was removed
    }

    @Test func failureToFlushTheDirectoryIsReportedAfterTheRename() throws {
        let dir = try TemporaryDirectory()
        let path = dir.file("f.bin")
        try AtomicFile.write(old, to: path)
        let error = checkpointError { try AtomicFile.write(new, to: path, failingAt: .syncDirectory) }
        #expect(error?.message.contains("may not survive a crash") == true)
        #expect(try readBytes(path) == new)   // complete new content, never a mixture
        #expect(try dir.names() == ["f.bin"])
    }
}
