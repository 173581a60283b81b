import Testing
import TensorCore
@testable import Checkpointing

struct SafetensorsFormatTests {
    @Test func roundTripKeepsNamesOrderValuesAndMetadata() throws {
        let archive = sampleArchive()
        let bytes = try archive.encoded()
        let back = try SafetensorsArchive(bytes: bytes)
        #expect(back.names == archive.names)
        #expect(back.metadata == archive.metadata)
        for ((_, original), (_, loaded)) in zip(archive.tensors, back.tensors) {
            #expect(loaded.bitwiseEqual(original), "\(loaded) vs \(original)")   // NaN, -0 and all
        }
        // And the same bytes again: encoding is a pure function of the content.
        #expect(try back.encoded() == bytes)
    }

    @Test func headerLayout() throws {
        let archive = SafetensorsArchive(
            tensors: [("w", float32Tensor([1, -2], shape: [2])), ("n", int64Tensor([3], shape: []))],
            metadata: ["step": "5", "a": "x"])
        let bytes = try archive.encoded()
        let length = (0..<8).reduce(0) { $0 | Int(bytes[$1]) << (8 * $1) }
        let json = #"{"__metadata__":{"a":"x","step":"5"},"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"n":{"dtype":"I64","shape":[],"data_offsets":[8,16]}}"#
        #expect(length % 8 == 0)
        #expect(length == json.utf8.count + (8 - json.utf8.count % 8) % 8)
        #expect(Array(bytes[8..<(8 + json.utf8.count)]) == Array(json.utf8))
        #expect(bytes[(8 + json.utf8.count)..<(8 + length)].allSatisfy { $0 == UInt8(ascii: " ") })
        // Data: 1.0f, -2.0f, then Int64 3, all little-endian, right after the header.
        #expect(Array(bytes[(8 + length)...]) == [0, 0, 0x80, 0x3f, 0, 0, 0, 0xc0, 3, 0, 0, 0, 0, 0, 0, 0])
    }

    @Test func tensorsKeepTheCallersOrderWithContiguousOffsets() throws {
        let names = ["z", "a", "m", "b"]
        let archive = SafetensorsArchive(tensors: names.enumerated().map { ($1, Tensor.full([$0 + 1], Double($0))) })
        let bytes = try archive.encoded()
        let header = String(decoding: bytes[8...], as: UTF8.self)
        #expect(header.hasPrefix(#"{"z":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[2],"data_offsets":[4,12]},"m":"#))
        #expect(try SafetensorsArchive(bytes: bytes).names == names)
    }

    @Test func emptyTensorsSharingAnOffsetKeepTheirOrder() throws {
        let names = ["z", "a", "m"]
        let archive = SafetensorsArchive(tensors: names.map { ($0, Tensor.zeros([0])) } + [("b", Tensor.ones([1]))])
        #expect(try SafetensorsArchive(bytes: archive.encoded()).names == names + ["b"])
    }

    @Test func metadataOrderDoesNotChangeTheBytes() throws {
        var forward: [String: String] = [:], backward: [String: String] = [:]
        let keys = (0..<50).map { "key\($0)" }
        for k in keys { forward[k] = k.uppercased() }
        for k in keys.reversed() { backward[k] = k.uppercased() }
        let t = [("t", Tensor.ones([2]))]
        #expect(try SafetensorsArchive(tensors: t, metadata: forward).encoded()
                == SafetensorsArchive(tensors: t, metadata: backward).encoded())
    }

    @Test func emptyArchive() throws {
        let bytes = try SafetensorsArchive().encoded()
        #expect(bytes == [8, 0, 0, 0, 0, 0, 0, 0] + Array("{}      ".utf8))
        let back = try SafetensorsArchive(bytes: bytes)
        #expect(back.tensors.isEmpty && back.metadata.isEmpty)
    }

    @Test func fileRoundTripAndLookup() throws {
        let dir = try TemporaryDirectory()
        let path = dir.file("model.safetensors")
        try sampleArchive().write(to: path)
        let back = try SafetensorsArchive(contentsOf: path)
        #expect(try readBytes(path) == sampleArchive().encoded())
        #expect(back["bn1.running_var"]?.scalars == [1e300, -1e-300, 7])
        #expect(back["bn1.num_batches_tracked"]?.shape == [])
        #expect(back["nope"] == nil)
        #expect(try dir.names() == ["model.safetensors"])
    }

    @Test func readingAMissingFileNamesIt() throws {
        let dir = try TemporaryDirectory()
        let error = checkpointError { _ = try SafetensorsArchive(contentsOf: dir.file("gone.safetensors")) }
        #expect(error?.kind == .io)
        #expect(error?.description == "\(dir.file("gone.safetensors")): cannot open for reading (open: No such file or directory)")
    }

    @Test func namesTheFormatCannotHold() {
        let duplicate = SafetensorsArchive(tensors: [("a", Tensor.ones([1])), ("a", Tensor.ones([2]))])
        let error = checkpointError { _ = try duplicate.write(to: "/nonexistent/x.safetensors") }
        #expect(error?.kind == .invalidArgument)
        #expect(error?.description == "/nonexistent/x.safetensors: two tensors are named 'a'")
        let reserved = SafetensorsArchive(tensors: [("__metadata__", Tensor.ones([1]))])
        #expect(checkpointError { _ = try reserved.encoded() }?.kind == .invalidArgument)
    }

    @Test func tensorViewsAreWrittenFromTheirOffset() throws {
        // A slice of a flat parameter buffer: only its own elements go into the file.
        let flat = float32Tensor([9, 9, 1, 2, 3, 4, 9], shape: [7])
        let view = Tensor(storage: flat.storage, offset: 2, shape: [2, 2], dtype: .float32)
        let back = try SafetensorsArchive(bytes: SafetensorsArchive(tensors: [("v", view)]).encoded())
        #expect(back["v"]?.scalars == [1, 2, 3, 4])
    }
}
