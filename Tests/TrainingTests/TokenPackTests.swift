import Testing
import Foundation
import TensorCore
import Datasets
import PackedData

/// Issue 20, token data: a token pack read as windows gives `TokenWindows`' batches bit for bit (so a
/// trainer on either gives the same bits), in uint16 and uint32; damage and bad tokens are refused.
@Suite struct TokenPackTests {
    static func tokens(_ count: Int, vocabulary: Int) -> [Int32] {
        var state: UInt64 = 99
        return (0..<count).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int32((state >> 33) % UInt64(vocabulary))
        }
    }

    @Test(arguments: [64, 70_000])
    func windowsAreTokenWindowsBatches(vocabulary: Int) throws {
        let directory = try TT.temporaryDirectory("tokens")
        defer { TT.remove(directory) }
        let stream = Self.tokens(300_000, vocabulary: vocabulary)   // 600 KB or 1.2 MB: more than one block
        let pack = try TokenPack.write(stream, vocabulary: vocabulary, to: directory + "/pack")
        #expect(pack.tokenBytes == (vocabulary <= 65_536 ? 2 : 4) && pack.tokens == stream.count)
        for context in [1, 64, 257] {
            let memory = try TokenWindows(tokens: stream, context: context)
            let disk = try PackedTokens(directory: directory + "/pack", context: context)
            #expect(disk.count == memory.count)
            let indices: ArraySlice<Int> = [0, memory.count - 1, 5, memory.count / 2, 5]
            let (a, b) = (try memory.batch(indices: indices), try disk.batch(indices: indices))
            #expect(a.inputs.bitwiseEqual(b.inputs) && a.targets.bitwiseEqual(b.targets), "context \(context)")
        }
        _ = try PackedTokens(directory: directory + "/pack", context: 64, verification: .full)
    }

    @Test func damageAndBadTokensAreRefused() throws {
        let directory = try TT.temporaryDirectory("tokens-bad")
        defer { TT.remove(directory) }
        #expect(throws: PackError.self) { try TokenPack.write([1, 2, 64], vocabulary: 64, to: directory + "/bad") }
        #expect(!FileManager.default.fileExists(atPath: directory + "/bad/manifest.json"))
        try TokenPack.write(Self.tokens(4_000, vocabulary: 50), vocabulary: 50, to: directory + "/pack")
        let shard = directory + "/pack/tokens-00000.bin"
        var bytes = try Data(contentsOf: URL(fileURLWithPath: shard))
        bytes[1_000] ^= 0x01
        try bytes.write(to: URL(fileURLWithPath: shard))
        let windows = try PackedTokens(directory: directory + "/pack", context: 16)   // the size still matches
        #expect { _ = try windows.batch(indices: [3]) } throws: { "\($0)".contains("tokens-00000.bin: altered") }
        try bytes.dropLast(2).write(to: URL(fileURLWithPath: shard))
        #expect { _ = try PackedTokens(directory: directory + "/pack", context: 16) } throws: { "\($0)".contains("truncated") }
    }
}
