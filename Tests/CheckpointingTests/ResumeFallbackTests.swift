import Foundation
import Testing
import TensorCore
@testable import Checkpointing

/// Issue 11, defect 11: resume falls back to the newest checkpoint that loads, and says why.
struct ResumeFallbackTests {
    private func save(_ directory: CheckpointDirectory, steps: [Int]) throws {
        for step in steps {
            var archive = SafetensorsArchive(tensors: [("w", Tensor.full([4], Double(step)))], metadata: ["step": String(step)])
            archive.recordDigests()
            try directory.save(archive, step: step)
        }
    }

    /// The load a trainer would do: read, verify, return the step.
    private func load(_ path: String) throws -> Int {
        let archive = try SafetensorsArchive(contentsOf: path)
        try archive.verifyDigests(source: path)
        return Int(archive.metadata["step"]!)!
    }

    private func flipLastByte(_ path: String) throws {
        var bytes = try readBytes(path)
        bytes[bytes.count - 1] ^= 0x40
        try writeBytes(bytes, to: path)
    }

    @Test func usesTheNewestWhenItLoads() throws {
        let root = try TemporaryDirectory()
        let checkpoints = CheckpointDirectory(path: root.path, keep: 3)
        try save(checkpoints, steps: [10, 20, 30])
        let resumed = try #require(try checkpoints.resume(using: load))
        #expect(resumed.value == 30 && resumed.skipped.isEmpty)
        #expect(resumed.report == "resuming from \(root.file("step-00000030.safetensors"))")
    }

    /// Before the fix, resume read `latest` and failed on its corrupt target (or on a dangling pointer)
    /// instead of trying the older checkpoints next to it.
    @Test func skipsACorruptNewestCheckpoint() throws {
        let root = try TemporaryDirectory()
        let checkpoints = CheckpointDirectory(path: root.path, keep: 3)
        try save(checkpoints, steps: [10, 20, 30])
        try flipLastByte(root.file("step-00000030.safetensors"))
        let resumed = try #require(try checkpoints.resume(using: load))
        #expect(resumed.value == 20)
        #expect(resumed.skipped.map(\.path) == [root.file("step-00000030.safetensors")])
        #expect(resumed.skipped[0].reason.hasPrefix(root.file("step-00000030.safetensors") + ": content does not match"))
        #expect(resumed.report.hasPrefix("resuming from \(root.file("step-00000020.safetensors")) (skipped 1 newer: \(root.file("step-00000030.safetensors")): content does not match"))
        #expect(!resumed.report.contains("\n"))
    }

    @Test func withoutAPointerUsesTheNewestThatLoads() throws {
        let root = try TemporaryDirectory()
        let checkpoints = CheckpointDirectory(path: root.path, keep: 3)
        try save(checkpoints, steps: [10, 20, 30])
        try FileManager.default.removeItem(atPath: root.file("latest"))
        try writeBytes(Array(try readBytes(root.file("step-00000030.safetensors")).prefix(100)), to: root.file("step-00000030.safetensors"))
        let resumed = try #require(try checkpoints.resume(using: load))
        #expect(resumed.value == 20)
        #expect(resumed.skipped.count == 1 && resumed.skipped[0].reason.contains("truncated"))
    }

    @Test func aDanglingOrMalformedPointerIsReportedAndSkipped() throws {
        for pointer in ["step-00000099.safetensors\n", "../../etc/passwd\n", ""] {
            let root = try TemporaryDirectory()
            let checkpoints = CheckpointDirectory(path: root.path, keep: 3)
            try save(checkpoints, steps: [10, 20])
            try writeBytes(Array(pointer.utf8), to: root.file("latest"))
            let resumed = try #require(try checkpoints.resume(using: load))
            #expect(resumed.value == 20, "\(pointer)")
            #expect(resumed.skipped.map(\.path) == [root.file("latest")], "\(pointer)")
        }
    }

    @Test func aPointerToAnOlderGoodCheckpointIsTrustedFirst() throws {
        let root = try TemporaryDirectory()
        let checkpoints = CheckpointDirectory(path: root.path, keep: 3)
        try save(checkpoints, steps: [10, 20])
        try writeBytes(Array("step-00000010.safetensors\n".utf8), to: root.file("latest"))
        #expect(try checkpoints.resume(using: load)?.value == 10)
    }

    @Test func noLoadableCheckpointIsOneLineErrorNotAFreshStart() throws {
        let root = try TemporaryDirectory()
        let checkpoints = CheckpointDirectory(path: root.path, keep: 3)
        try save(checkpoints, steps: [10, 20])
        for step in [10, 20] { try flipLastByte(root.file(CheckpointDirectory.fileName(step: step))) }
        let error = checkpointError { _ = try checkpoints.resume(using: load) }
        #expect(error?.kind == .mismatch)
        #expect(error?.description.hasPrefix("\(root.path): no checkpoint can be resumed: \(root.file("step-00000020.safetensors")): content does not match") == true)
        #expect(error?.description.contains("\n") == false)
    }

    @Test func aSingleCheckpointThatDoesNotLoadReportsItsOwnError() throws {
        let root = try TemporaryDirectory()
        let checkpoints = CheckpointDirectory(path: root.path, keep: 3)
        try save(checkpoints, steps: [10])
        try flipLastByte(root.file("step-00000010.safetensors"))
        let error = checkpointError { _ = try checkpoints.resume(using: load) }
        #expect(error?.source == root.file("step-00000010.safetensors"))
        #expect(error?.message.hasPrefix("content does not match") == true)
    }

    @Test func aSoundCheckpointThatEndsTheSearchIsNotFallenBackFrom() throws {
        let root = try TemporaryDirectory()
        let checkpoints = CheckpointDirectory(path: root.path, keep: 3)
        try save(checkpoints, steps: [10, 20])
        var tried: [String] = []
        let error = checkpointError {
            _ = try checkpoints.resume { path -> Int in
                tried.append(path)
                throw ResumeSearchEnd(CheckpointError(.mismatch, source: path, "the run already finished"))
            }
        }
        #expect(error?.description == root.file("step-00000020.safetensors") + ": the run already finished")
        #expect(tried == [root.file("step-00000020.safetensors")])
    }

    @Test func anEmptyOrMissingDirectoryIsAFreshStart() throws {
        let root = try TemporaryDirectory()
        #expect(try CheckpointDirectory(path: root.path).resume(using: load) == nil)
        #expect(try CheckpointDirectory(path: root.file("absent")).resume(using: load) == nil)
    }
}
