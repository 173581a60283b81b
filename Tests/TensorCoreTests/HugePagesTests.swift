import Foundation
import Testing
import TensorCore

/// Large blocks are advised for transparent huge pages (`HugePages`), so that a transfer between two
/// ranks walks one page-table entry per 2 MB instead of per 4 KB. The kernel shows an advised range
/// with the flag `hg` in `/proc/self/smaps`; the layout of memory never changes a computed bit.
@Suite struct HugePagesTests {
    @Test func theInteriorIsTheWholeAlignedPages() {
        let page = UInt(HugePages.pageBytes)
        func interior(_ start: UInt, _ bytes: Int) -> Range<UInt> {
            HugePages.alignedInterior(of: UnsafeMutableRawPointer(bitPattern: start)!, byteCount: bytes)
        }
        #expect(interior(page + 64, 5 * Int(page)) == 2 * page ..< 6 * page)   // the partial pages at both ends left out
        #expect(interior(2 * page, 3 * Int(page)) == 2 * page ..< 5 * page)     // aligned: all of it
        #expect(interior(page + 64, Int(page)).isEmpty)                         // straddles two pages, holds neither
        #expect(interior(3 * page - 64, Int(page)).isEmpty)
    }

    @Test func largeTensorsAndBuffersAreAdvised() throws {
#if os(Linux)
        // Without transparent huge pages in the kernel there is nothing to advise (and no such file).
        guard FileManager.default.fileExists(atPath: "/sys/kernel/mm/transparent_hugepage/enabled") else { return }
        let tensor = Tensor.zeros([4 << 20])                               // 16 MB
        let buffer = HugePages.allocateFloats(capacity: 3 << 20)          // 12 MB
        defer { buffer.deallocate() }
        for (base, bytes) in [(tensor.rawPointer, tensor.byteCount),
                              (UnsafeMutableRawPointer(buffer.baseAddress!), buffer.count * 4)] {
            let interior = HugePages.alignedInterior(of: base, byteCount: bytes)
            #expect(interior.upperBound - interior.lowerBound >= UInt(bytes) - 2 * UInt(HugePages.pageBytes))
            for address in [interior.lowerBound, interior.upperBound - 1] {
                let flags = try Self.vmFlags(containing: address)
                #expect(flags.contains("hg"), "VmFlags of \(String(address, radix: 16)): \(flags)")
            }
        }
        let small = UnsafeMutableRawPointer.allocate(byteCount: HugePages.minimumBytes - 1, alignment: 64)
        defer { small.deallocate() }
        #expect(!HugePages.advise(small, byteCount: HugePages.minimumBytes - 1))
#endif
    }

    /// The `VmFlags` of the mapping holding `address`, from /proc/self/smaps.
    static func vmFlags(containing address: UInt) throws -> [Substring] {
        // Read to the end: /proc files report a size of 0, which `String(contentsOfFile:)` would trust.
        guard let file = FileHandle(forReadingAtPath: "/proc/self/smaps") else { return [] }
        defer { try? file.close() }
        let smaps = String(decoding: try file.readToEnd() ?? Data(), as: UTF8.self)
        var inside = false
        for line in smaps.split(separator: "\n") {
            let fields = line.split(separator: " ")
            if let range = fields.first, range.contains("-"), !range.hasSuffix(":") {
                let bounds = range.split(separator: "-").compactMap { UInt($0, radix: 16) }
                inside = bounds.count == 2 && bounds[0] <= address && address < bounds[1]
            } else if inside, fields.first == "VmFlags:" {
                return Array(fields.dropFirst())
            }
        }
        return []
    }
}
