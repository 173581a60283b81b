import Foundation
import Testing
import TensorCore
import NN
import Checkpointing
import Config
import Training

/// Issue 11: 2,400 mutations of real checkpoints, each loaded in-process through the code path of
/// `--resume` (StateDictFile.restore with the optimizer: read, verify, validate, loadStateDict,
/// loadState) or of `--init` / `eval` (the same without the optimizer). The property: a one-line
/// error naming the file, or acceptance only of a file that verifies, never a trap (a trap ends the
/// test process). Mutations of the bytes that leave the digests alone must be refused unless they
/// change nothing that is loaded; re-signed edits (a tool that rewrites the digests) must still hold
/// only finite values and sane counts.
@Suite("Fuzz: mutated checkpoints through the load path")
struct CheckpointFuzzTests {
    static let iterations = 2_400
    static let seed: UInt64 = 0x10C4_57E9_2026_1128

    static let yaml = """
        seed: 3
        model:
          input: 20
          layers:
            - {name: layer1, type: linear, out: 3}
            - {name: bn1, type: batchnorm1d}
            - {type: relu}
            - {name: layer2, type: linear, out: 1}
        data: {source: synthetic-clinical, samples: 80, validation_fraction: 0.25, shuffle: true, standardize: true}
        loss: bce_with_logits
        batch: {global: 20, micro: 20}
        optimizer: {type: adam, lr: 0.01}
        train: {steps: 2, eval_every: 0, log_every: 1}
        output: {dir: runs/fuzz}

        """

    /// How a file was changed: raw bytes with the digests left as they were, or an edit after which
    /// the digests were recomputed (or removed, as in a file from PyTorch).
    enum Signing { case raw, resigned }

    struct Mutation {
        var kind: String
        var signing: Signing
        var bytes: [UInt8]
    }

    /// The original state the loads are compared with.
    struct Original {
        var checkpoint: SafetensorsArchive   // model + optimizer
        var model: SafetensorsArchive        // model only
        func tensors(withOptimizer: Bool) -> [String: Tensor] {
            Dictionary(uniqueKeysWithValues: (withOptimizer ? checkpoint : model).tensors.map { ($0.name, $0.tensor) })
        }
    }

    @Test("2,400 mutated checkpoints: one-line errors or verified acceptance, never a trap")
    func mutatedCheckpoints() throws {
        let config = try RunConfig(yaml: Self.yaml, source: "fuzz.yaml")
        let data = try PreparedData(config: config)
        let source = try Trainer(config: config, data: data)
        for _ in 0..<2 { _ = try source.step() }
        let metadata = ["step": "2", "seed": "3", "config_digest": config.configDigest, "format": "lockstep-state-dict-v1"]
        let original = Original(
            checkpoint: StateDictFile.archive(model: source.model, optimizer: source.optimizer, metadata: metadata),
            model: StateDictFile.archive(model: source.model, metadata: metadata))
        let target = try Trainer(config: config, data: data)

        let directory = try TT.temporaryDirectory("fuzz")
        defer { TT.remove(directory) }
        let path = directory + "/step-00000002.safetensors"
        var random = SplitMix64(seed: Self.seed)
        var outcomes: [String: (accepted: Int, refused: Int)] = [:]

        for iteration in 0..<Self.iterations {
            let withOptimizer = iteration % 2 == 0
            let base = withOptimizer ? original.checkpoint : original.model
            let mutation = try Self.mutate(base, using: &random)
            try Data(mutation.bytes).write(to: URL(fileURLWithPath: path))
            let label = "iteration \(iteration) (\(mutation.kind))"
            do {
                try StateDictFile.restore(from: path, into: target.model, optimizer: withOptimizer ? target.optimizer : nil)
                outcomes[mutation.kind, default: (0, 0)].accepted += 1
                try Self.checkAccepted(mutation, target: target, original: original, withOptimizer: withOptimizer, label: label)
            } catch {
                outcomes[mutation.kind, default: (0, 0)].refused += 1
                let message = String(describing: error)
                #expect(message.hasPrefix(path + ": "), "\(label): error does not name the file: \(message)")
                #expect(!message.contains("\n") && !message.contains("\r"), "\(label): error is not one line: \(message)")
                #expect(error is CheckpointError || error is TrainingError || error is ModuleError,
                        "\(label): raw \(type(of: error)): \(message)")
            }
        }
        // Every kind of damage was seen and refused at least once, except padding (harmless), a
        // re-signed step value (restore hands it back as metadata; TrainingRun interprets the step) and
        // a bit flip in a file without digests (only a non-finite result can be caught there).
        for (kind, counts) in outcomes where !["benign padding", "resigned metadata extreme", "unsigned data byte flip"].contains(kind) {
            #expect(counts.refused > 0, "no \(kind) mutation was refused: \(counts)")
        }
        #expect(outcomes.values.reduce(0) { $0 + $1.accepted + $1.refused } == Self.iterations)
        for (kind, counts) in outcomes.sorted(by: { $0.key < $1.key }) {
            print("checkpoint fuzz: \(kind): \(counts.refused) refused, \(counts.accepted) accepted")
        }
    }

    /// An accepted raw mutation must have loaded exactly the original state; an accepted re-signed one
    /// must verify on its own and hold only finite values.
    static func checkAccepted(_ mutation: Mutation, target: Trainer, original: Original, withOptimizer: Bool, label: String) throws {
        let loaded = try SafetensorsArchive(bytes: mutation.bytes, source: "mutated")
        switch mutation.signing {
        case .raw:
            let expected = original.tensors(withOptimizer: withOptimizer)
            for (name, tensor) in target.model.stateDict() {
                #expect(tensor.bitwiseEqual(expected[name]!), "\(label): accepted a raw mutation that changed \(name)")
            }
            if withOptimizer {
                for (name, tensor) in target.optimizer.stateTensors() {
                    #expect(tensor.bitwiseEqual(expected[name]!), "\(label): accepted a raw mutation that changed \(name)")
                }
            }
            #expect(loaded.metadata == (withOptimizer ? original.checkpoint : original.model).metadata,
                    "\(label): accepted a raw mutation that changed the metadata")
        case .resigned:
            #expect((try? loaded.verifyDigests(source: "mutated")) != nil, "\(label): accepted a file that does not verify")
            for (name, tensor) in loaded.tensors where tensor.dtype != .int64 {
                #expect((0..<tensor.count).allSatisfy { tensor.element($0).isFinite }, "\(label): accepted non-finite \(name)")
            }
        }
    }

    // MARK: Mutations

    static let int64Extremes: [String] = ["9223372036854775807", "9223372036854775808", "-9223372036854775808",
                                          "-1", "18446744073709551616", "99999999999999999999999", "1e19", "0"]

    static func mutate(_ archive: SafetensorsArchive, using random: inout SplitMix64) throws -> Mutation {
        let bytes = try archive.encoded()
        let pieces = SafetensorsPieces(bytes)
        let headerEnd = bytes.count - pieces.data.count
        func pick(_ n: Int) -> Int { Int.random(in: 0..<n, using: &random) }
        func raw(_ kind: String, _ bytes: [UInt8]) -> Mutation { Mutation(kind: kind, signing: .raw, bytes: bytes) }
        func header(_ kind: String, _ edit: (inout SafetensorsPieces) -> Void) -> Mutation {
            var copy = pieces
            edit(&copy)
            return raw(kind, copy.bytes)
        }
        func resigned(_ kind: String, strip: Bool = false, _ edit: (inout SafetensorsArchive) -> Void) throws -> Mutation {
            var copy = SafetensorsArchive(tensors: archive.tensors.map { ($0.name, $0.tensor.copy()) }, metadata: archive.metadata)
            edit(&copy)
            if strip {
                copy.metadata[CheckpointMetadataKey.contentSHA256] = nil
                copy.metadata[CheckpointMetadataKey.paramsSHA256] = nil
                copy.metadata[CheckpointMetadataKey.digests] = nil
            } else {
                copy.recordDigests()
            }
            return Mutation(kind: kind, signing: .resigned, bytes: try copy.encoded())
        }
        let floatNames = archive.tensors.filter { $0.tensor.dtype != .int64 && $0.tensor.count > 0 }.map(\.name)
        let intNames = archive.tensors.filter { $0.tensor.dtype == .int64 }.map(\.name)

        switch pick(17) {
        case 0:
            return raw("truncation", Array(bytes.prefix(pick(bytes.count))))
        case 1:
            var b = bytes
            b[8 + pick(headerEnd - 8)] ^= UInt8(1 + pick(255))
            return raw("header byte flip", b)
        case 2:
            var b = bytes
            b[headerEnd + pick(pieces.data.count)] ^= UInt8(1 << pick(8))
            return raw("data byte flip", b)
        case 3:
            let lengths: [UInt64] = [0, 1, 7, UInt64(headerEnd - 9), UInt64(headerEnd - 7), UInt64(headerEnd + 1),
                                     100_000_000, 100_000_001, 1 << 62, .max, UInt64(bytes.count), UInt64.random(in: 0...(1 << 40), using: &random)]
            let length = lengths[pick(lengths.count)]
            var b = bytes
            for i in 0..<8 { b[i] = UInt8(truncatingIfNeeded: length >> UInt64(8 * i)) }
            return raw("header length", b)
        case 4:
            return header("broken JSON") { p in
                var scalars = Array(p.header.unicodeScalars)
                let at = pick(scalars.count)
                if pick(2) == 0 { scalars.remove(at: at) } else { let inserts = Array("{}[]\",:\\0-e".unicodeScalars); scalars.insert(inserts[pick(inserts.count)], at: at) }
                p.header = String(String.UnicodeScalarView(scalars))
            }
        case 5:
            return header("unknown dtype") { p in
                let dtypes = p.ranges(of: "\"dtype\":\"")
                guard !dtypes.isEmpty, let close = p.header[dtypes[pick(dtypes.count)].upperBound...].firstIndex(of: "\"") else { return }
                let start = dtypes[pick(dtypes.count)].upperBound
                let end = p.header[start...].firstIndex(of: "\"") ?? close
                p.header.replaceSubrange(start..<end, with: ["F16", "BF16", "F8_E4M3", "I32", "U8", "BOOL", "f32", "", "F64", "I64"][pick(10)])
            }
        case 6:
            return header("wrong shape") { p in
                guard let span = p.span(from: "\"shape\":[", to: "]", pick: pick) else { return }
                let dims = ["0", "1", "2", "3", "20", "4294967296", "9223372036854775807", "-1", "1.5", "1e3", "60,1"]
                let shape = (0..<pick(4)).map { _ in dims[pick(dims.count)] }.joined(separator: ",")
                p.header.replaceSubrange(span, with: "\"shape\":[\(shape)]")
            }
        case 7:
            return header("bad offsets") { p in
                guard let span = p.span(from: "\"data_offsets\":[", to: "]", pick: pick) else { return }
                let size = p.data.count
                let values = [0, 4, 8, size - 4, size, size + 4, 1 << 40, Int.max]
                let begin = values[pick(values.count)], end = values[pick(values.count)]
                p.header.replaceSubrange(span, with: "\"data_offsets\":[\(begin),\(end)]")
            }
        case 8:
            return header("duplicate, missing or extra tensor") { p in
                let name = archive.tensors[pick(archive.tensors.count)].name
                guard let span = p.span(from: "\"\(name)\":{", to: "}", pick: { _ in 0 }) else { return }
                let entry = String(p.header[span])
                switch pick(3) {
                case 0: p.header.insert(contentsOf: entry + ",", at: span.lowerBound)                    // duplicate key
                case 1: p.header.replaceSubrange(span, with: "\"extra\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]}")
                default: p.header.replaceSubrange(span, with: entry.replacingOccurrences(of: "\"\(name)\"", with: "\"\(name)x\""))
                }
            }
        case 9:
            var b = bytes
            let count = 1 + pick(16)
            if pick(2) == 0 { b += (0..<count).map { _ in UInt8(pick(256)) } } else { b.insert(contentsOf: repeatElement(0, count: count), at: headerEnd + pick(pieces.data.count)) }
            return raw("extra data bytes", b)
        case 10:
            return header("int64 extreme in metadata") { p in
                guard let span = p.span(from: "\"step\":\"", to: ",", pick: { _ in 0 }) else { return }
                p.header.replaceSubrange(span, with: "\"step\":\"\(int64Extremes[pick(int64Extremes.count)])\",")
            }
        case 11:
            return header("benign padding") { p in p.header += String(repeating: " ", count: 8 * pick(3)) }
        case 12:
            let name = floatNames[pick(floatNames.count)]
            let value = [Double.nan, .infinity, -.infinity, Double(Float.greatestFiniteMagnitude) * 2][pick(4)]
            return try resigned("non-finite value") { a in
                let t = a[name]!
                t.setElement(pick(t.count), value)
            }
        case 13:
            guard let name = intNames.randomElement(using: &random) else { return raw("truncation", []) }
            let values: [Int64] = [.min, -1, .max, (1 << 53) + 1, .max - 1]
            let value = values[pick(values.count)]
            return try resigned("int64 extreme in a tensor") { a in
                a[name]!.rawPointer.assumingMemoryBound(to: Int64.self).pointee = value
            }
        case 14:
            return try resigned("resigned missing, extra or reshaped tensor") { a in
                switch pick(3) {
                case 0: a.tensors.remove(at: pick(a.tensors.count))
                case 1: a.tensors.append(("layer9.weight", Tensor.zeros([2, 2])))
                default:
                    let i = pick(a.tensors.count)
                    let t = a.tensors[i].tensor
                    a.tensors[i].tensor = Tensor.zeros([t.count + 1], dtype: t.dtype)
                }
            }
        case 15:
            return try resigned("resigned metadata extreme") { a in a.metadata["step"] = int64Extremes[pick(int64Extremes.count)] }
        default:
            // Digests stripped (as in a PyTorch file) and a data byte changed: structure alone decides.
            let name = floatNames[pick(floatNames.count)]
            let position = pick(archive[name]!.byteCount)
            let bit = UInt8(1 << pick(8))
            return try resigned("unsigned data byte flip", strip: true) { a in
                let p = a[name]!.rawPointer.assumingMemoryBound(to: UInt8.self)
                p[position] ^= bit
            }
        }
    }
}
