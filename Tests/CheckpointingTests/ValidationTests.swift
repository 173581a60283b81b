import Crypto
import Testing
import TensorCore
@testable import Checkpointing

struct ValidationTests {
    private let model = SafetensorsArchive(tensors: [
        ("layer1.weight", Tensor.zeros([32, 20])),
        ("layer1.bias", Tensor.zeros([32])),
        ("bn1.num_batches_tracked", int64Tensor([0], shape: [])),
    ])

    private let expected = [
        TensorSpec(name: "layer1.bias", shape: [32], dtype: .float32),
        TensorSpec(name: "layer1.weight", shape: [32, 20], dtype: .float32),
        TensorSpec(name: "bn1.num_batches_tracked", shape: [], dtype: .int64),
    ]

    @Test func matchingInAnyOrderPasses() throws {
        try model.validate(against: expected, source: "model.safetensors")
        #expect(model.mismatches(against: model.specs).isEmpty)
        try model.validate(against: [("layer1.weight", [32, 20], .float32), ("layer1.bias", [32], .float32),
                                     ("bn1.num_batches_tracked", [], .int64)], source: "m")
    }

    @Test func wrongShape() {
        var specs = expected
        specs[1].shape = [64, 20]
        let error = checkpointError { try model.validate(against: specs, source: "model.safetensors") }
        #expect(error?.kind == .mismatch)
        #expect(error?.description == "model.safetensors: tensor 'layer1.weight' has shape [32, 20], expected [64, 20]")
    }

    @Test func wrongDtype() {
        var specs = expected
        specs[2].dtype = .float32
        #expect(checkpointError { try model.validate(against: specs, source: "m.safetensors") }?.description
                == "m.safetensors: tensor 'bn1.num_batches_tracked' has dtype I64, expected F32")
    }

    @Test func missingAndUnexpected() {
        let specs = [expected[0], expected[1], TensorSpec(name: "fc.weight", shape: [10, 32], dtype: .float32)]
        #expect(model.mismatches(against: specs) == [
            "missing tensor 'fc.weight' (expected F32 [10, 32])",
            "unexpected tensor 'bn1.num_batches_tracked' I64 []",
        ])
        #expect(checkpointError { try model.validate(against: specs, source: "m") }?.description
                == "m: missing tensor 'fc.weight' (expected F32 [10, 32]); unexpected tensor 'bn1.num_batches_tracked' I64 []")
    }

    @Test func manyProblemsStayOnOneLine() {
        let error = checkpointError { try SafetensorsArchive().validate(against: expected + [
            TensorSpec(name: "a", shape: [1], dtype: .float64), TensorSpec(name: "b", shape: [2], dtype: .float64),
        ], source: "m") }
        #expect(error?.message.hasSuffix("; and 2 more") == true)
        #expect(error?.description.contains("\n") == false)
    }

    @Test func paramsDigestCoversTheStateDictOnly() throws {
        var archive = sampleArchive()
        archive.tensors.append(("optimizer.layer1.weight.momentum", Tensor.zeros([2, 3])))
        archive.recordParamsSHA256()
        let back = try SafetensorsArchive(bytes: archive.encoded())
        try back.verifyParamsSHA256(source: "c")
        #expect(back.metadata["params_sha256"]?.count == 64)

        // Optimizer state does not enter the digest...
        back["optimizer.layer1.weight.momentum"]!.fill(5)
        try back.verifyParamsSHA256(source: "c")
        // ...a parameter does.
        back["layer1.bias"]!.setElement(1, 1)
        let error = checkpointError { try back.verifyParamsSHA256(source: "c") }
        #expect(error?.kind == .mismatch)
        #expect(error?.message.hasPrefix("parameters hash to ") == true)

        #expect(checkpointError { try SafetensorsArchive().verifyParamsSHA256(source: "c") }?.message
                == "metadata has no 'params_sha256' to verify")
    }

    @Test func paramsDigestIsTheHashOfTheRawBytes() {
        let archive = SafetensorsArchive(tensors: [("a", float32Tensor([1], shape: [1])), ("b", int64Tensor([2], shape: [1]))])
        #expect(archive.paramsSHA256() == SHA256.hash(data: [0, 0, 0x80, 0x3f, 2, 0, 0, 0, 0, 0, 0, 0] as [UInt8]))
    }
}
