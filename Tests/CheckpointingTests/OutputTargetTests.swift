import Foundation
import Testing
import SystemPackage
@testable import Checkpointing

/// Issue 23, items 2 and 9: an output is never renamed over a device, a FIFO or a symbolic link to
/// one (written through, or refused), and "the same file" means the same device and inode.
@Suite("Output targets: devices, FIFOs and links are never replaced")
struct OutputTargetTests {
    static func type(_ path: String, following: Bool = false) throws -> FileType {
        try FilePath(path).stat(followTargetSymlink: following).type
    }

    @Test("/dev/null is written through and stays a character device; /dev/full is ENOSPC in one line")
    func characterDevices() throws {
        #expect(try OutputTarget.resolve("/dev/null") == .writeThrough)
        try AtomicFile.write(Array("discarded\n".utf8), to: "/dev/null")
        #expect(try Self.type("/dev/null") == .characterSpecial)
        do {
            try AtomicFile.write(Array("x".utf8), to: "/dev/full")
            Issue.record("writing /dev/full succeeded")
        } catch let error as CheckpointError {
            #expect(error.description == "/dev/full: cannot write (write: No space left on device)")
        }
        #expect(try Self.type("/dev/full") == .characterSpecial)
    }

    @Test("a FIFO with a reader gets the bytes and stays a FIFO; one without is refused at once")
    func fifos() throws {
        let dir = try TemporaryDirectory()
        let fifo = dir.file("out.fifo")
        #expect(mkfifo(fifo, 0o600) == 0)
        let reader = FIFOReader(fifo)
        let text = Array(String(repeating: "0123456789", count: 20_000).utf8)   // more than a pipe holds
        try AtomicFile.write(text, to: fifo)
        #expect(reader.received() == text)
        #expect(try Self.type(fifo) == .fifo)
        #expect(try dir.names() == ["out.fifo"])   // no temporary left beside it

        let lonely = dir.file("nobody.fifo")
        #expect(mkfifo(lonely, 0o600) == 0)
        #expect(throws: CheckpointError(.io, source: lonely, "is a FIFO (named pipe) that nobody reads; refusing to wait for a reader")) {
            try AtomicFile.write([1, 2, 3], to: lonely)
        }
        #expect(try Self.type(lonely) == .fifo)
    }

    @Test("a link to a device is written through; a link to a regular file is replaced at its target and stays a link")
    func symbolicLinks() throws {
        let dir = try TemporaryDirectory()
        let toNull = dir.file("null-link"), toFile = dir.file("file-link"), real = dir.file("real.txt")
        try FileManager.default.createSymbolicLink(atPath: toNull, withDestinationPath: "/dev/null")
        try AtomicFile.write(Array("x".utf8), to: toNull)
        #expect(try Self.type(toNull) == .symbolicLink)
        #expect(try Self.type("/dev/null") == .characterSpecial)

        try writeBytes(Array("old".utf8), to: real)
        try FileManager.default.createSymbolicLink(atPath: toFile, withDestinationPath: "real.txt")
        try AtomicFile.write(Array("new".utf8), to: toFile)
        #expect(try Self.type(toFile) == .symbolicLink)
        #expect(try readBytes(real) == Array("new".utf8))

        let dangling = dir.file("dangling")
        try FileManager.default.createSymbolicLink(atPath: dangling, withDestinationPath: "missing/x")
        #expect(throws: CheckpointError(.invalidArgument, source: dangling, "is a symbolic link to nothing; refusing to write through it")) {
            try AtomicFile.write([1], to: dangling)
        }
        #expect(try Self.type(dangling) == .symbolicLink)
        // A directory is left to the rename, which refuses it (AtomicFileTests.targetThatIsADirectoryIsLeftAlone).
        #expect(try OutputTarget.resolve(dir.path) == .replace(dir.path))
    }

    @Test("file identity: ./, .., symbolic and hard links name one file; a pending name compares by its folder")
    func identity() throws {
        let dir = try TemporaryDirectory()
        try FileManager.default.createDirectory(atPath: dir.file("sub"), withIntermediateDirectories: false)
        let input = dir.file("in.csv")
        try writeBytes(Array("a\n".utf8), to: input)
        try FileManager.default.createSymbolicLink(atPath: dir.file("link.csv"), withDestinationPath: "in.csv")
        #expect(link(input, dir.file("hard.csv")) == 0)
        let same = try FileIdentity(of: input)
        for spelling in [dir.path + "/./in.csv", dir.path + "/sub/../in.csv", dir.file("link.csv"), dir.file("hard.csv")] {
            #expect(try FileIdentity(of: spelling) == same, "\(spelling)")
        }
        #expect(try FileIdentity(of: dir.file("other.csv")) != same)
        #expect(try FileIdentity(of: dir.path + "/sub/../new.csv") == FileIdentity(of: dir.file("new.csv")))
        #expect(try FileIdentity(of: dir.file("missing/new.csv")) == nil)
    }
}

/// Reads a FIFO on a thread until its writer closes it. Opened at once, non-blocking, so that the open
/// does not wait for a writer and a writer's non-blocking open finds a reader; gives up after 120 s.
final class FIFOReader: @unchecked Sendable {
    let path: String
    private let lock = NSLock()
    private var bytes: [UInt8] = []
    private let finished = DispatchSemaphore(value: 0)

    init(_ path: String) {
        self.path = path
        let fd = open(path, O_RDONLY | O_NONBLOCK)
        Thread.detachNewThread { [self] in
            if fd >= 0 {
                var buffer = [UInt8](repeating: 0, count: 1 << 16)
                let deadline = Date().addingTimeInterval(120)
                var seenData = false
                while Date() < deadline {
                    let n = read(fd, &buffer, buffer.count)
                    if n > 0 {
                        seenData = true
                        lock.lock(); bytes += buffer[0..<n]; lock.unlock()
                    } else if n == 0 && seenData {
                        break                                   // the writer closed
                    } else {
                        usleep(2_000)                           // no writer yet (0), or no data yet (EAGAIN)
                    }
                }
                close(fd)
            }
            finished.signal()
        }
    }

    /// What arrived, once the writer closed.
    func received() -> [UInt8] {
        finished.wait()
        lock.lock(); defer { lock.unlock() }
        return bytes
    }
}
