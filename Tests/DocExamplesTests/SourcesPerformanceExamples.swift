import Testing
import TensorCore
import Autograd
import NN
import Datasets
import Training
import Benchmarks

// The ```swift blocks of the `///` comments on what times and profiles the transformer's step
// (TensorCore's GEMMProfile, Datasets' token windows as a DataSource, Benchmarks' TransformerLM),
// each compiled inside a function whose parameters stand for what the comment assumes.

enum PerformanceExamples {
    // Sources/TensorCore/GEMMProfile.swift
    static func gemmProfile(trainer: Trainer) throws {
        let profile = GEMMProfile()
        try profile.track { try trainer.step() }
        print(profile.calls.count, profile.nanoseconds)          // GEMMs of the step, time inside them
        let replayed = profile.replay(repetitions: 5)           // the same GEMMs back to back: ns per pass
        _ = replayed
    }

    // Sources/Datasets/TokenWindows+DataSource.swift
    static func windowBatch(windows: TokenWindows) throws {
        let (inputs, targets) = try windows.batch(indices: [3, 0, 7])   // (3, 64) int64 each
        _ = (inputs, targets)
    }

    // Sources/Benchmarks/TransformerLMBenchmark.swift
    static func transformerLM(ids: Tensor) throws {
        let model = TransformerLM(key: RandomKey(seed: 1, stream: .initialization))
        let logits = try model(ids)   // ids (B, 64) int64 → (B, 64, 64)
        _ = logits
    }

    static func transformerBenchmark() throws {
        let r = try TransformerLMBenchmark(batch: 16).run(seconds: 2)
        print(r.microsecondsPerStep, r.gemmShare)
    }
}

struct PerformanceExampleTests {
    @Test func windowBatchesAreTheWindowsInOrder() throws {
        let windows = try TokenWindows(tokens: (0..<50).map { Int32($0) }, context: 4)
        let (inputs, targets) = try windows.batch(indices: [3, 0, 7])
        #expect(inputs.shape == [3, 4] && targets.shape == [3, 4] && inputs.dtype == .int64 && targets.dtype == .int64)
        #expect(inputs.scalars == [12, 13, 14, 15, 0, 1, 2, 3, 28, 29, 30, 31])
        #expect(targets.scalars == [13, 14, 15, 16, 1, 2, 3, 4, 29, 30, 31, 32])
        #expect(throws: DatasetError.self) { try windows.batch(indices: [12]) }
    }

    @Test func theBenchmarkModelHasGPT2sNamesAndShapes() throws {
        let model = TransformerLM(key: RandomKey(seed: 1, stream: .initialization))
        let names = model.namedParameters().map(\.name)
        #expect(names.prefix(4) == ["wte.weight", "wpe.weight", "h.0.ln_1.weight", "h.0.ln_1.bias"])
        #expect(names.contains("h.1.attn.c_attn.weight") && names.contains("h.1.mlp.c_proj.bias"))
        #expect(names.suffix(3) == ["ln_f.weight", "ln_f.bias", "lm_head.weight"])
        #expect(model.namedParameters().reduce(0) { $0 + $1.tensor.count } == 112_384)
        let ids = Tensor(int64: (0..<128).map { Int64($0 % 64) }, shape: [2, 64])
        #expect(try model(ids).shape == [2, 64, 64])
    }

    @Test func aProfileRecordsTheStepsGEMMs() throws {
        let (trainer, model) = try TransformerLMBenchmark(batch: 2).makeTrainer(windows: 8)
        let profile = GEMMProfile()
        try profile.track { try trainer.step() }
        // 27 Linear GEMMs (9 layers × forward, ∂W, ∂x) and 6 per sample and head per block.
        #expect(profile.calls.count == 27 + 2 * 2 * 4 * 6)
        #expect(profile.durations.count == profile.calls.count && profile.nanoseconds > 0)
        #expect(profile.flops == TransformerLMBenchmark.gemmFlops(model, batch: 2))
        #expect(profile.replay(repetitions: 1) > 0)
        let outside = GEMMProfile()
        try trainer.step()
        #expect(outside.calls.isEmpty)
    }
}
