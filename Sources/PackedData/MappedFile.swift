#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SystemPackage

/// A regular file mapped read-only into memory, for the packer's passes over its raw rows: reads cost
/// page faults, not system calls. Mapped pages count towards the RSS while mapped, so a pass calls
/// `release()` every few tens of MB (MADV_DONTNEED: the pages stay in the page cache). Training reads
/// shards with `pread` instead (`VerifiedShard` says why).
///
/// The file must be a regular file of exactly `expectedBytes` (checked with fstat on the open
/// descriptor), so that no read can run past its end.
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
        _ = madvise(mapped, expectedBytes, MADV_SEQUENTIAL)   // the packer's passes read it in order
        base = UnsafeRawPointer(mapped)
    }

    /// Drops this process's mappings of every page (they stay in the page cache for the next touch).
    func release() {
        guard let base else { return }
        _ = madvise(UnsafeMutableRawPointer(mutating: base), bytes, MADV_DONTNEED)
    }

    deinit {
        if let base { munmap(UnsafeMutableRawPointer(mutating: base), bytes) }
    }
}
