import Foundation
import Testing
import TensorCore
@testable import Checkpointing

/// Files exchanged with the reference implementation (the Python `safetensors` package).
struct PythonInteropTests {
    /// Written by safetensors 0.8.0 with NumPy 2.4:
    ///
    ///     import numpy as np
    ///     from safetensors.numpy import save_file
    ///     save_file({
    ///         "layer1.weight": np.arange(6, dtype=np.float32).reshape(2, 3) / 4,
    ///         "layer1.bias": np.array([-1.5, 2.25], dtype=np.float32),
    ///         "bn1.running_var": np.array([0.1, 1e300, -0.0], dtype=np.float64),
    ///         "bn1.num_batches_tracked": np.array(42, dtype=np.int64),
    ///         "empty": np.zeros((0, 3), dtype=np.float32),
    ///     }, "fixture.safetensors", metadata={"step": "7", "note": "é \"q\"\n"})
    ///
    /// The reference writer orders tensors by dtype alignment, then name, and puts the metadata in
    /// hash order; the header is space-padded to 392 bytes.
    static let referenceFile = """
        iAEAAAAAAAB7Il9fbWV0YWRhdGFfXyI6eyJzdGVwIjoiNyIsIm5vdGUiOiLDqSBcInFcIlxuIn0sImJuMS5udW1fYmF0Y2hlc190cmFja2Vk\
        Ijp7ImR0eXBlIjoiSTY0Iiwic2hhcGUiOltdLCJkYXRhX29mZnNldHMiOlswLDhdfSwiYm4xLnJ1bm5pbmdfdmFyIjp7ImR0eXBlIjoiRjY0\
        Iiwic2hhcGUiOlszXSwiZGF0YV9vZmZzZXRzIjpbOCwzMl19LCJlbXB0eSI6eyJkdHlwZSI6IkYzMiIsInNoYXBlIjpbMCwzXSwiZGF0YV9v\
        ZmZzZXRzIjpbMzIsMzJdfSwibGF5ZXIxLmJpYXMiOnsiZHR5cGUiOiJGMzIiLCJzaGFwZSI6WzJdLCJkYXRhX29mZnNldHMiOlszMiw0MF19\
        LCJsYXllcjEud2VpZ2h0Ijp7ImR0eXBlIjoiRjMyIiwic2hhcGUiOlsyLDNdLCJkYXRhX29mZnNldHMiOls0MCw2NF19fSAgICAgICoAAAAA\
        AAAAmpmZmZmZuT+cdQCIPOQ3fgAAAAAAAACAAADAvwAAEEAAAAAAAACAPgAAAD8AAEA/AACAPwAAoD8=
        """

    @Test func readsAFileWrittenByTheReferenceImplementation() throws {
        let bytes = [UInt8](try #require(Data(base64Encoded: Self.referenceFile)))
        #expect(bytes.count == 464)
        let archive = try SafetensorsArchive(bytes: bytes, source: "fixture.safetensors")
        #expect(archive.names == ["bn1.num_batches_tracked", "bn1.running_var", "empty", "layer1.bias", "layer1.weight"])
        #expect(archive.metadata == ["step": "7", "note": "é \"q\"\n"])
        #expect(archive["bn1.num_batches_tracked"]?.dtype == .int64)
        #expect(archive["bn1.num_batches_tracked"]?.scalars == [42])
        #expect(archive["bn1.running_var"]?.scalars == [0.1, 1e300, -0.0])
        #expect(archive["bn1.running_var"]?.element(2).sign == .minus)
        #expect(archive["empty"]?.shape == [0, 3])
        #expect(archive["layer1.bias"]?.scalars == [-1.5, 2.25])
        #expect(archive["layer1.weight"]?.shape == [2, 3])
        #expect(archive["layer1.weight"]?.scalars == [0, 0.25, 0.5, 0.75, 1, 1.25])
        // Written back in the same order, only the metadata order differs (ours is sorted).
        let rewritten = try archive.encoded()
        #expect(rewritten.count == bytes.count)
        #expect(Array(rewritten[400...]) == Array(bytes[400...]))
    }

    /// The Python interpreter with `safetensors` installed, if this machine has one.
    private static let python: String? = {
        let path = ProcessInfo.processInfo.environment["LOCKSTEP_SAFETENSORS_PYTHON"] ?? "/tmp/torchenv/bin/python"
        guard FileManager.default.isExecutableFile(atPath: path),
              (try? run(path, ["-c", "import safetensors.numpy"])) != nil else { return nil }
        return path
    }()

    /// Runs a program and returns its standard output; throws if it fails.
    private static func run(_ program: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw CheckpointError(.io, source: program, "exit status \(process.terminationStatus)") }
        return String(decoding: data, as: UTF8.self)
    }

    @Test(.enabled(if: python != nil, "needs a Python with safetensors (set LOCKSTEP_SAFETENSORS_PYTHON)"))
    func referenceImplementationReadsOurFiles() throws {
        let dir = try TemporaryDirectory()
        let path = dir.file("ours.safetensors")
        try sampleArchive().write(to: path)
        let script = """
            import sys, json
            from safetensors import safe_open
            from safetensors.numpy import load_file
            t = load_file(sys.argv[1])
            with safe_open(sys.argv[1], framework="numpy") as f:
                meta = f.metadata()
            print(json.dumps({"names": list(t), "meta": meta,
                              "shapes": {k: list(v.shape) for k, v in t.items()},
                              "dtypes": {k: str(v.dtype) for k, v in t.items()},
                              "values": {k: [repr(x) for x in v.ravel().tolist()] for k, v in t.items()}},
                             sort_keys=True))
            """
        let out = try Self.run(Self.python!, ["-c", script, path])
        let json = try #require(try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: Any])
        #expect((json["names"] as? [String])?.sorted() == sampleArchive().names.sorted())
        #expect(json["meta"] as? [String: String] == sampleArchive().metadata)
        let shapes = json["shapes"] as? [String: [Int]]
        let dtypes = json["dtypes"] as? [String: String]
        let values = json["values"] as? [String: [String]]
        #expect(shapes?["layer1.weight"] == [2, 3] && shapes?["bn1.num_batches_tracked"] == [] && shapes?["empty"] == [0, 4])
        #expect(dtypes == ["layer1.weight": "float32", "layer1.bias": "float32", "bn1.running_var": "float64",
                           "bn1.num_batches_tracked": "int64", "empty": "float32", "0.weight": "int64"])
        #expect(values?["bn1.running_var"] == ["1e+300", "-1e-300", "7.0"])
        #expect(values?["layer1.bias"] == ["nan", "-0.0"])
        #expect(values?["0.weight"] == ["1", "-2", "9223372036854775807", "4"])
        #expect(values?["bn1.num_batches_tracked"] == ["-9223372036854775807"])
    }
}
