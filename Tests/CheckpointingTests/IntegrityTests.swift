import Foundation
import Testing
import TensorCore
@testable import Checkpointing

/// Issue 11, defects 5 and 10: recorded digests are checked, and only regular files are read.
struct IntegrityTests {
    /// A checkpoint-like archive: state-dict tensors, optimizer state and run metadata, digests recorded.
    private func signedArchive(step: Int = 100) -> SafetensorsArchive {
        var archive = SafetensorsArchive(
            tensors: [("fc.weight", float32Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3])),
                      ("fc.bias", float32Tensor([0.5, -0.5], shape: [2])),
                      ("optimizer.fc.weight.momentum_buffer", float32Tensor([0.1, 0.2, 0.3, 0.4, 0.5, 0.6], shape: [2, 3])),
                      ("optimizer.fc.weight.step", int64Tensor([7], shape: []))],
            metadata: ["step": String(step), "seed": "7", "format": "lockstep-state-dict-v1", "config_digest": "abc"])
        archive.recordDigests()
        return archive
    }

    @Test func recordsBothDigestsAndParamsSHA256IsUnchanged() throws {
        let archive = signedArchive()
        var legacy = archive
        legacy.metadata[CheckpointMetadataKey.contentSHA256] = nil   // as written before content_sha256 existed
        legacy.metadata[CheckpointMetadataKey.digests] = nil
        // params_sha256 is still the digest of the state-dict bytes alone (the world-size identity).
        #expect(archive.metadata[CheckpointMetadataKey.paramsSHA256] == archive.paramsSHA256().hex)
        #expect(archive.metadata[CheckpointMetadataKey.contentSHA256]?.count == 64)
        let back = try SafetensorsArchive(bytes: try archive.encoded(), source: "c")
        #expect(try back.verifyDigests(source: "c") == .content)
        #expect(try legacy.verifyDigests(source: "c") == .parameters)
        #expect(try SafetensorsArchive(tensors: archive.tensors).verifyDigests(source: "c") == .none)
    }

    /// Before the fix nothing compared the recorded digest with the data on load: every one of these
    /// edits was accepted (1,900 such files in the probe).
    @Test func anyChangeToTensorsOrMetadataIsAMismatchNamingTheFile() throws {
        let original = signedArchive()
        let edits: [(String, (inout SafetensorsArchive) -> Void)] = [
            ("optimizer byte", { $0.tensors[2].tensor.setElement(3, 9) }),
            ("optimizer step", { $0.tensors[3].tensor.rawPointer.assumingMemoryBound(to: Int64.self).pointee = .max }),
            ("parameter", { $0.tensors[0].tensor.setElement(0, 1.0000001) }),
            ("step metadata", { $0.metadata["step"] = "-1" }),
            ("seed metadata", { $0.metadata["seed"] = "8" }),
            ("extra metadata", { $0.metadata["lr"] = "1e30" }),
            ("dropped tensor", { $0.tensors.removeLast() }),
            ("renamed tensor", { $0.tensors[1].name = "fc.bias2" }),
            ("reshaped tensor", { let t = Tensor(uninitializedShape: [3, 2]); t.copyElements(from: $0.tensors[0].tensor); $0.tensors[0].tensor = t }),
        ]
        for (label, edit) in edits {
            var copy = SafetensorsArchive(tensors: original.tensors.map { ($0.name, $0.tensor.copy()) }, metadata: original.metadata)
            edit(&copy)
            let error = checkpointError { try copy.verifyDigests(source: "run/step-00000100.safetensors") }
            #expect(error?.kind == .mismatch, "\(label)")
            #expect(error?.description.hasPrefix("run/step-00000100.safetensors: ") == true, "\(label)")
            #expect(error?.description.contains("\n") == false, "\(label)")
        }
    }

    /// Found by the in-suite fuzz test: a corrupted byte in the *name* `content_sha256` used to leave
    /// only `params_sha256` to check, so the optimizer state went unverified. `digests` now says which
    /// digests must be there.
    @Test func aDamagedDigestNameCannotSwitchVerificationOff() throws {
        var archive = signedArchive()
        archive.metadata["content_sha25\u{7}"] = archive.metadata.removeValue(forKey: CheckpointMetadataKey.contentSHA256)
        let error = checkpointError { try archive.verifyDigests(source: "c") }
        #expect(error?.message.hasPrefix("metadata lists 'content_sha256' in 'digests' but does not record it") == true)
        // And damage to the list itself is caught by content_sha256, which covers it.
        var listDamaged = signedArchive()
        listDamaged.metadata[CheckpointMetadataKey.digests] = "params_sha256"
        #expect(checkpointError { try listDamaged.verifyDigests(source: "c") }?.message.hasPrefix("content does not match") == true)
    }

    @Test func aWrongParamsDigestUnderAValidContentDigestIsStillCaught() throws {
        var archive = signedArchive()
        archive.metadata[CheckpointMetadataKey.paramsSHA256] = String(repeating: "0", count: 64)
        archive.metadata[CheckpointMetadataKey.contentSHA256] = archive.contentSHA256().hex
        #expect(checkpointError { try archive.verifyDigests(source: "c") }?.message.hasPrefix("parameters hash to") == true)
    }

    /// Before the fix `readAll` read /dev/zero until memory ran out (14 GB in 30 s), and opening a FIFO
    /// with no writer blocked for ever. Now both are refused after fstat, before any read.
    @Test func devicesFIFOsAndDirectoriesAreRefusedWithoutReading() throws {
        let root = try TemporaryDirectory()
        let fifo = root.file("pipe.safetensors")
        #expect(mkfifo(fifo, 0o600) == 0)
        for (path, kind) in [("/dev/zero", "a character device"), (fifo, "a FIFO (named pipe)"), (root.path, "a directory")] {
            let error = checkpointError { _ = try SafetensorsArchive(contentsOf: path) }
            #expect(error?.description == "\(path): is \(kind), not a regular file")
        }
    }

    @Test func declaredSizesAreCheckedAgainstTheRealSizeBeforeAllocating() throws {
        // A header length of 99 MB (under the format's limit) in a 40-byte file: refused as truncated
        // from the file's size, without allocating the 99 MB.
        let root = try TemporaryDirectory()
        var bytes = try signedArchive().encoded()
        let claimed = 99_000_000
        for i in 0..<8 { bytes[i] = UInt8(truncatingIfNeeded: claimed >> (8 * i)) }
        try writeBytes(Array(bytes.prefix(40)), to: root.file("a.safetensors"))
        let error = checkpointError { _ = try SafetensorsArchive(contentsOf: root.file("a.safetensors")) }
        #expect(error?.message == "truncated: header length is 99000000 bytes, but only 32 bytes follow it")
    }

    @Test func aLatestPointerThatIsAFIFODoesNotHang() throws {
        let root = try TemporaryDirectory()
        #expect(mkfifo(root.file("latest"), 0o600) == 0)
        let error = checkpointError { _ = try CheckpointDirectory(path: root.path).latestPath() }
        #expect(error?.description == root.file("latest") + ": is a FIFO (named pipe), not a regular file")
    }
}
