import Testing
import TensorCore
@testable import Checkpointing

struct SafetensorsMalformedTests {
    /// Decodes `bytes` as file "bad.safetensors" and returns the error, checking that it is one line
    /// and names the file.
    private func failure(_ bytes: [UInt8]) -> CheckpointError? {
        let error = checkpointError { _ = try SafetensorsArchive(bytes: bytes, source: "bad.safetensors") }
        #expect(error != nil, "decoding should have failed")
        if let error {
            #expect(error.description.hasPrefix("bad.safetensors: "))
            #expect(!error.description.contains("\n"))
        }
        return error
    }

    private static let f32x6 = #""dtype":"F32","shape":[2,3]"#

    // (header, data length, expected message fragment)
    @Test(arguments: [
        // Syntax errors are JSONDecoder's to find, and it does not say where: one message for all.
        ("{not json", 0, "header is not valid JSON"),
        ("", 0, "header is not valid JSON"),
        (#"{"a":1}x"#, 0, "header is not valid JSON"),
        ("[]", 0, "header is an array, expected a JSON object"),
        (#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{}}"#, 4, "duplicate key 'a'"),
        // JSONDecoder keeps one of two equal keys; every object is checked for them, escapes resolved.
        (#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"\u0061":{}}"#, 4, "duplicate key 'a'"),
        (#"{"w":{"dtype":"F32","dtype":"F64","shape":[1],"data_offsets":[0,4]}}"#, 4, "duplicate key 'dtype'"),
        (#"{"__metadata__":{"k":"1","k":"2"}}"#, 0, "duplicate key 'k'"),
        (#"{"w":"F32"}"#, 0, "tensor 'w': entry is a string, expected an object"),
        (#"{"w":{"shape":[1],"data_offsets":[0,4]}}"#, 4, "tensor 'w': missing 'dtype'"),
        (#"{"w":{"dtype":"F32","data_offsets":[0,4]}}"#, 4, "tensor 'w': missing 'shape'"),
        (#"{"w":{"dtype":"F32","shape":[1]}}"#, 4, "tensor 'w': missing 'data_offsets'"),
        (#"{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"extra":0}}"#, 4, "tensor 'w': unexpected field 'extra'"),
        (#"{"w":{"dtype":"BF16","shape":[2],"data_offsets":[0,4]}}"#, 4, "tensor 'w' has unsupported dtype 'BF16' (supported: F32, F64, I64)"),
        (#"{"w":{"dtype":32,"shape":[1],"data_offsets":[0,4]}}"#, 4, "tensor 'w': 'dtype' is a number, expected a string"),
        (#"{"w":{"dtype":"F32","shape":[2,-1],"data_offsets":[0,4]}}"#, 4, "tensor 'w': 'shape' must be an array of non-negative integers"),
        (#"{"w":{"dtype":"F32","shape":[1.0],"data_offsets":[0,4]}}"#, 4, "'shape' must be an array of non-negative integers"),
        (#"{"w":{"dtype":"F32","shape":"1","data_offsets":[0,4]}}"#, 4, "'shape' must be an array of non-negative integers"),
        (#"{"w":{"dtype":"F32","shape":[true],"data_offsets":[0,4]}}"#, 4, "'shape' must be an array of non-negative integers"),
        (#"{"w":{"dtype":"F32","shape":[1],"data_offsets":[0]}}"#, 4, "tensor 'w': 'data_offsets' must be two non-negative integers"),
        // JSONDecoder reads these as integers; the reference reader, and so this one, does not.
        (#"{"w":{"dtype":"F32","shape":[1e0],"data_offsets":[0,4]}}"#, 4, "tensor 'w': 'shape' must be an array of non-negative integers"),
        (#"{"w":{"dtype":"F32","shape":[-0],"data_offsets":[0,0]}}"#, 0, "tensor 'w': 'shape' must be an array of non-negative integers"),
        (#"{"w":{"dtype":"F32","shape":[1],"data_offsets":[0.0,4]}}"#, 4, "tensor 'w': 'data_offsets' must be two non-negative integers"),
        (#"{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4E0]}}"#, 4, "tensor 'w': 'data_offsets' must be two non-negative integers"),
        (#"{"w":{"dtype":"F32","shape":[0],"data_offsets":[4,0]}}"#, 4, "tensor 'w': data_offsets [4, 0] end before they begin"),
        (#"{"w":{"dtype":"F32","shape":[2,3],"data_offsets":[0,20]}}"#, 20, "tensor 'w' has shape [2, 3] of F32 (24 bytes), but data_offsets [0, 20] span 20 bytes"),
        (#"{"w":{"dtype":"F64","shape":[4611686018427387904,4],"data_offsets":[0,0]}}"#, 0, "tensor 'w': shape [4611686018427387904, 4] is too large"),
        (#"{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,99999999999999999999999]}}"#, 4, "'data_offsets' must be two non-negative integers"),
        (#"{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},"b":{"dtype":"F32","shape":[4],"data_offsets":[8,24]}}"#, 24, "tensors 'a' [0, 16] and 'b' [8, 24] overlap"),
        (#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[16,24]}}"#, 24, "8 unused bytes after tensor 'a', before tensor 'b' [16, 24]"),
        (#"{"b":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}"#, 16, "8 unused bytes at the start of the data, before tensor 'b' [8, 16]"),
        (#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#, 12, "4 bytes after the last tensor are not described by the header"),
        (#"{"__metadata__":{"step":5}}"#, 0, "metadata 'step' is a number, expected a string"),
        (#"{"__metadata__":[]}"#, 0, "'__metadata__' is an array, expected an object of strings"),
        (#"{"a\nb":{"dtype":"X","shape":[],"data_offsets":[0,4]}}"#, 4, #"tensor 'a\nb' has unsupported dtype 'X'"#),
        (#"{"s":"\ud800"}"#, 0, "header is not valid JSON"),   // an unpaired surrogate
        (String(repeating: "[", count: 100), 0, "header is not valid JSON"),
        // Found by the libFuzzer target: an escaped newline (and a stray control character) once came
        // back verbatim and broke the one-line message.
        ("{\"a\":\"x\\\ny\"}", 0, "header is not valid JSON"),
        ("{\"a\":\u{7}}", 0, "header is not valid JSON"),
    ])
    func badHeader(header: String, dataLength: Int, fragment: String) {
        let error = failure(rawFile(header: header, data: [UInt8](repeating: 0, count: dataLength)))
        #expect(error?.kind == .badHeader)
        #expect(error?.message.contains(fragment) == true, "\(String(describing: error)) should contain: \(fragment)")
    }

    @Test func headerThatIsNotUTF8() {
        var bytes = rawFile(header: #"{"ab":{}}"#)
        bytes[11] = 0xFF   // inside the key
        #expect(failure(bytes)?.message == "header is not valid UTF-8")
    }

    @Test func absurdHeaderLength() {
        // Not a safetensors file at all: eight bytes of text read as a length.
        let error = failure(Array("PK\u{3}\u{4}junkjunkjunk".utf8))
        #expect(error?.kind == .badHeader)
        #expect(error?.message.contains("over the 100000000-byte limit") == true)
    }

    @Test func truncatedAtEveryCutPoint() throws {
        let bytes = try sampleArchive().encoded()
        let headerEnd = 8 + (0..<8).reduce(0) { $0 | Int(bytes[$1]) << (8 * $1) }
        for cut in 0..<bytes.count {
            let error = checkpointError { _ = try SafetensorsArchive(bytes: Array(bytes[..<cut]), source: "cut.safetensors") }
            #expect(error?.kind == .truncated, "cut at \(cut): \(String(describing: error))")
            #expect(error?.description.hasPrefix("cut.safetensors: truncated: ") == true)
        }
        // The messages say which part is missing.
        let short = checkpointError { _ = try SafetensorsArchive(bytes: Array(bytes[..<5]), source: "f") }
        #expect(short?.message == "truncated: file is 5 bytes, shorter than the 8-byte header length")
        let inHeader = checkpointError { _ = try SafetensorsArchive(bytes: Array(bytes[..<20]), source: "f") }
        #expect(inHeader?.message == "truncated: header length is \(headerEnd - 8) bytes, but only 12 bytes follow it")
        let inData = checkpointError { _ = try SafetensorsArchive(bytes: Array(bytes[..<(headerEnd + 10)]), source: "f") }
        #expect(inData?.message == "truncated: tensor 'layer1.weight' ends at data byte 24, but the data section has 10 bytes")
    }

    @Test func truncatedFileOnDisk() throws {
        let dir = try TemporaryDirectory()
        let path = dir.file("step-00000001.safetensors")
        let bytes = try sampleArchive().encoded()
        try writeBytes(Array(bytes.dropLast(3)), to: path)
        let error = checkpointError { _ = try SafetensorsArchive(contentsOf: path) }
        #expect(error?.kind == .truncated)
        #expect(error?.description.hasPrefix("\(path): truncated: tensor '0.weight' ends at data byte") == true)
    }
}
