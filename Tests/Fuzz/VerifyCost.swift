// What verifying a checkpoint costs next to loading it (issue 11, defect 5). Built and run by
// launch/verify-cost.sh with swiftc -O against SwiftPM's release build of Checkpointing.
//
// Writes a wide-MLP-sized checkpoint (configs/wide-mlp.yaml: 3.2 M float32 parameters plus an SGD
// momentum buffer of the same size, 25.7 MB), then times (thread CPU time), best of N: reading it from the page cache
// (`SafetensorsArchive(contentsOf:)`), `verifyDigests` (content_sha256 + params_sha256), and SHA-256
// alone over the same bytes.
import Checkpointing
import Crypto
import TensorCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

@main
struct VerifyCost {
    static func seconds(_ body: () throws -> Void) rethrows -> Double {
        var start = timespec(), end = timespec()
        // CPU time of this thread (system time of the reads included): on a machine shared with other
        // jobs, wall time measures the neighbours as much as the code.
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &start)
        try body()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &end)
        return Double(end.tv_sec - start.tv_sec) + Double(end.tv_nsec - start.tv_nsec) * 1e-9
    }

    static func main() throws {
        let path = CommandLine.arguments.count > 1 ? CommandLine.arguments[1] : "/tmp/verify-cost.safetensors"
        let repeats = 7
        // Layers of configs/wide-mlp.yaml: 1024→1024→1024→1024→10.
        let shapes: [(String, [Int])] = [("layer1.weight", [1024, 1024]), ("layer1.bias", [1024]),
                                         ("layer2.weight", [1024, 1024]), ("layer2.bias", [1024]),
                                         ("layer3.weight", [1024, 1024]), ("layer3.bias", [1024]),
                                         ("layer4.weight", [10, 1024]), ("layer4.bias", [10])]
        var tensors: [(name: String, tensor: Tensor)] = []
        for (name, shape) in shapes {
            let t = Tensor(uninitializedShape: shape)
            for i in 0..<t.count { t.setElement(i, Double(i % 977) * 1e-3) }
            tensors.append((name, t))
        }
        for (name, shape) in shapes {
            tensors.append(("optimizer.\(name).momentum_buffer", Tensor.full(shape, 0.5)))
        }
        var archive = SafetensorsArchive(tensors: tensors, metadata: ["step": "20", "seed": "7", "format": "lockstep-state-dict-v1"])
        archive.recordDigests()
        try archive.write(to: path)
        let bytes = archive.tensors.reduce(0) { $0 + $1.tensor.byteCount }

        var load = Double.infinity, verify = Double.infinity, hashOnly = Double.infinity
        // The first load of the process, as a CLI does it: page cache warm (the file was just written),
        // but every tensor's memory freshly mapped. Later loads reuse freed memory and are faster.
        var loaded = SafetensorsArchive()
        let firstLoad = try seconds { loaded = try SafetensorsArchive(contentsOf: path) }
        for _ in 0..<repeats {
            load = min(load, try seconds { loaded = try SafetensorsArchive(contentsOf: path) })
            verify = min(verify, try seconds { try loaded.verifyDigests(source: path) })
            hashOnly = min(hashOnly, seconds {
                var hasher = SHA256()
                for (_, t) in loaded.tensors { hasher.update(tensor: t) }
                _ = hasher.finalize()
            })
        }
        let mb = Double(bytes) / 1e6
        func ms(_ s: Double) -> String { String(Int((s * 1e4).rounded()) / 10) + "." + String(Int((s * 1e4).rounded()) % 10) + " ms" }
        print("checkpoint: \(mb) MB of tensors (wide-mlp parameters + SGD momentum), best of \(repeats), thread CPU time")
        print("first load in the process:          \(ms(firstLoad))  (\(Int(mb / firstLoad)) MB/s)")
        print("load (read + parse + copy), warm:   \(ms(load))  (\(Int(mb / load)) MB/s)")
        print("verifyDigests (content + params):   \(ms(verify))  (\(Int(mb / verify)) MB/s of file)")
        print("SHA-256 alone over every tensor:    \(ms(hashOnly))  (\(Int(mb / hashOnly)) MB/s)")
        print("verification / first load:          \(Int((verify / firstLoad * 100).rounded()))%")
        unlink(path)
    }
}
