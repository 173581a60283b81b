import Foundation
import Testing
import TensorCore
@testable import Checkpointing

struct CheckpointDirectoryTests {
    private func archive(step: Int) -> SafetensorsArchive {
        SafetensorsArchive(tensors: [("w", Tensor.full([3], Double(step)))], metadata: ["step": String(step)])
    }

    @Test func fileNames() {
        #expect(CheckpointDirectory.fileName(step: 100) == "step-00000100.safetensors")
        #expect(CheckpointDirectory.fileName(step: 0) == "step-00000000.safetensors")
        #expect(CheckpointDirectory.fileName(step: 123_456_789) == "step-123456789.safetensors")
        #expect(CheckpointDirectory.step(fromFileName: "step-00000100.safetensors") == 100)
        #expect(CheckpointDirectory.step(fromFileName: "step-123456789.safetensors") == 123_456_789)
        for name in ["latest", "step-.safetensors", "step-1a.safetensors", "step-+1.safetensors",
                     ".step-00000100.safetensors.tmp-1-2", "step-00000100.safetensors.bak"] {
            #expect(CheckpointDirectory.step(fromFileName: name) == nil, "\(name)")
        }
    }

    @Test func keepsTheLastKAndPointsAtTheNewest() throws {
        let root = try TemporaryDirectory()
        let checkpoints = CheckpointDirectory(path: root.file("run/checkpoints"), keep: 2)   // created on save
        #expect(try checkpoints.latestPath() == nil)
        for step in [100, 200, 300, 400, 1000] {
            let path = try checkpoints.save(archive(step: step), step: step)
            #expect(path == checkpoints.path + "/" + CheckpointDirectory.fileName(step: step))
            #expect(try checkpoints.latestPath() == path)
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: checkpoints.path).sorted()
                == ["latest", "step-00000400.safetensors", "step-00001000.safetensors"])
        #expect(try readBytes(checkpoints.path + "/latest") == Array("step-00001000.safetensors\n".utf8))
        let latest = try SafetensorsArchive(contentsOf: try #require(try checkpoints.latestPath()))
        #expect(latest.metadata["step"] == "1000")
        #expect(try checkpoints.checkpoints().map(\.step) == [400, 1000])
    }

    @Test func keepOneLeavesOnlyTheNewest() throws {
        let root = try TemporaryDirectory()
        let checkpoints = CheckpointDirectory(path: root.path, keep: 1)
        for step in 1...3 { try checkpoints.save(archive(step: step), step: step) }
        #expect(try root.names() == ["latest", "step-00000003.safetensors"])
    }

    @Test func savingAnEarlierStepKeepsItAndLeavesLaterOnesAlone() throws {
        // A run resumed from step 200 after a later checkpoint existed: the new file must survive
        // pruning, and the abandoned step-300 file is not ours to delete.
        let root = try TemporaryDirectory()
        let checkpoints = CheckpointDirectory(path: root.path, keep: 2)
        for step in [100, 200, 300] { try checkpoints.save(archive(step: step), step: step) }
        try checkpoints.save(archive(step: 250), step: 250)
        #expect(try checkpoints.checkpoints().map(\.step) == [200, 250, 300])
        #expect(try checkpoints.latestPath() == root.file("step-00000250.safetensors"))
    }

    @Test func withoutPointerTheHighestStepIsLatest() throws {
        let root = try TemporaryDirectory()
        try archive(step: 9).write(to: root.file("step-00000009.safetensors"))
        try archive(step: 10).write(to: root.file("step-00000010.safetensors"))
        try writeBytes([], to: root.file("notes.txt"))
        #expect(try CheckpointDirectory(path: root.path).latestPath() == root.file("step-00000010.safetensors"))
    }

    @Test func pointerToAMissingFileIsAnError() throws {
        let root = try TemporaryDirectory()
        try writeBytes(Array("step-00000500.safetensors\n".utf8), to: root.file("latest"))
        let error = checkpointError { _ = try CheckpointDirectory(path: root.path).latestPath() }
        #expect(error?.description == "\(root.file("latest")): names 'step-00000500.safetensors', which does not exist in \(root.path)")

        try writeBytes(Array("../elsewhere\n".utf8), to: root.file("latest"))
        let escape = checkpointError { _ = try CheckpointDirectory(path: root.path).latestPath() }
        #expect(escape?.message == #"expected a checkpoint file name, found '../elsewhere\n'"#)
    }

    @Test func saveSweepsUpTemporariesLeftByACrash() throws {
        let root = try TemporaryDirectory()
        let stale = [AtomicFile.temporaryName(for: "step-00000001.safetensors"), AtomicFile.temporaryName(for: "latest")]
        let foreign = [".notes.txt.tmp-1-ab", ".step-00000001.safetensors.tmp-x", "step-00000001.safetensors.tmp-1-ab"]
        for name in stale + foreign { try writeBytes([1, 2, 3], to: root.file(name)) }
        try CheckpointDirectory(path: root.path).save(archive(step: 2), step: 2)
        #expect(try root.names() == (foreign + ["latest", "step-00000002.safetensors"]).sorted())
    }

    @Test func temporaryNamesMapBackToTheirTarget() {
        let name = AtomicFile.temporaryName(for: "a.tmp-b")
        #expect(name.hasPrefix(".a.tmp-b.tmp-"))
        #expect(AtomicFile.target(ofTemporary: name) == "a.tmp-b")
        for other in ["a.tmp-1-2", ".a.tmp-1", ".a.tmp--2", ".a.tmp-1-", ".a.tmp-1-G", "..tmp-1-2x"] {
            #expect(AtomicFile.target(ofTemporary: other) == nil, "\(other)")
        }
    }

    @Test func failedSaveKeepsThePreviousCheckpointAndPointer() throws {
        let root = try TemporaryDirectory()
        let checkpoints = CheckpointDirectory(path: root.path, keep: 1)
        try checkpoints.save(archive(step: 1), step: 1)
        let bad = SafetensorsArchive(tensors: [("x", Tensor.ones([1])), ("x", Tensor.ones([1]))])
        #expect(checkpointError { try checkpoints.save(bad, step: 2) }?.kind == .invalidArgument)
        #expect(try root.names() == ["latest", "step-00000001.safetensors"])
        #expect(try checkpoints.latestPath() == root.file("step-00000001.safetensors"))
    }
}
