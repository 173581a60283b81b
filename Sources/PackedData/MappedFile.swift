#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SystemPackage

/// A regular file mapped read-only into memory: reads cost page faults, not system calls, and what is
/// resident is the page cache's, which the kernel may drop at any time. `release()` unmaps the pages
/// from this process (MADV_DONTNEED) without touching the cache, so a reader that has touched more of
/// a large file than its budget allows gets its resident size back at the cost of refaults.
///
/// The file must be a regular file of exactly `expectedBytes` (checked with fstat on the open
/// descriptor): a truncated or grown shard is refused before a single row is read from it, which is
/// also what keeps a read past the end (SIGBUS) from ever happening unless the file shrinks later.
final class MappedFile: @unchecked Sendable {
    let path: String
    let bytes: Int
    let base: UnsafeRawPointer?

    init(path: String, expectedBytes: Int) throws {
        let descriptor: FileDescriptor
        do {
            descriptor = try FileDescriptor.open(FilePath(path), .readOnly, options: [.closeOnExec, .nonBlocking])
        } catch let errno as Errno {
            throw PackError("\(path): cannot open: \(errno.description)")
        }
        defer { _ = try? descriptor.close() }
        var info = stat()
        guard fstat(descriptor.rawValue, &info) == 0 else { throw PackError("\(path): cannot inspect: \(String(cString: strerror(errno)))") }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw PackError("\(path): not a regular file") }
        guard Int(info.st_size) == expectedBytes else {
            throw PackError("\(path): \(info.st_size) bytes, the manifest says \(expectedBytes) (\(Int(info.st_size) < expectedBytes ? "truncated" : "grown"))")
        }
        self.path = path
        bytes = expectedBytes
        guard expectedBytes > 0 else { base = nil; return }
        let mapped = mmap(nil, expectedBytes, PROT_READ, MAP_SHARED, descriptor.rawValue, 0)
        guard let mapped, mapped != MAP_FAILED else { throw PackError("\(path): cannot map: \(String(cString: strerror(errno)))") }
        // Rows are read at random: read-ahead around each would fetch mostly rows no rank asked for.
        _ = madvise(mapped, expectedBytes, MADV_RANDOM)
        base = UnsafeRawPointer(mapped)
    }

    /// Drops this process's mappings of every page (they stay in the page cache for the next touch).
    func release() { release(0..<bytes) }

    /// Drops the mappings of the pages under `range` (its start a multiple of the page size).
    func release(_ range: Range<Int>) {
        guard let base, !range.isEmpty else { return }
        _ = madvise(UnsafeMutableRawPointer(mutating: base + range.lowerBound), range.count, MADV_DONTNEED)
    }

    deinit {
        if let base { munmap(UnsafeMutableRawPointer(mutating: base), bytes) }
    }
}
