import Foundation
import TensorCore
import Autograd
import NN
import Config
import Training

/// Measures what autograd keeps for the backward pass, with and without activation checkpointing.
///
/// One micro-batch of `batch` samples, in train mode, under a `SampleContext`, with the parameters and
/// their gradients in flat buffers as the trainer has them: a forward with grad and the summed loss,
/// then backward. A `MemoryMeter` counts the tensor storage allocated from the start of the forward:
///
/// - `savedBytes`: what is still alive just before backward — the activations the graph saved for
///   the backward (plus the output and loss, a few KB). Everything allocated before (parameters,
///   gradient buffer, the batch) is not counted.
/// - `peakBytes`: the most alive at once from the start of the forward to the end of the backward
///   (saved activations, the gradients flowing back, a checkpointed block's replayed activations).
///
/// ```swift
/// for r in try MemoryBenchmark(name: "wide-mlp", config: wide, batch: 256).run() { print(r.line) }
/// ```
public struct MemoryBenchmark {
    public struct Result: Sendable {
        public let name: String
        public let batch: Int
        public let checkpoint: Bool
        /// Bytes held by the graph just before backward.
        public let savedBytes: Int
        /// Most bytes alive at once during forward and backward, above what was alive before.
        public let peakBytes: Int

        public var line: String {
            "memory model=\(name) batch=\(batch) checkpoint=\(checkpoint) saved_bytes=\(savedBytes) peak_bytes=\(peakBytes)"
        }
    }

    public let name: String
    public let config: RunConfig
    public let batch: Int

    /// `config` with its batch set to `batch` (one micro-batch) and enough synthetic samples.
    public init(name: String, config: RunConfig, batch: Int) {
        self.name = name
        self.config = config.sizedForBenchmark(micro: batch)
        self.batch = batch
    }

    /// Both cases: without checkpointing, then with.
    public func run() throws -> [Result] {
        let data = try PreparedData(config: config)
        return try [false, true].map { try measure(checkpoint: $0, data: data) }
    }

    /// One case; `data` defaults to the config's.
    public func measure(checkpoint: Bool, data: PreparedData? = nil) throws -> Result {
        var c = config
        c.model.checkpointActivations = checkpoint
        let data = try data ?? PreparedData(config: c)
        guard data.train.count >= batch else {
            throw TrainingError("memory benchmark: the training split has \(data.train.count) samples, fewer than the batch of \(batch)")
        }
        let model = try ModelBuilder.build(c)
        model.train()
        let batchNorms = model.namedModules().compactMap { $0.module as? BatchNorm1d }
        for bn in batchNorms { bn.defersRunningStatistics = true }
        let flat = FlatParameters(model)
        let parameters = flat.entries.map(\.tensor)
        let evaluator = Evaluator(loss: c.loss)
        let indices = Array(0..<batch)
        let (x, y) = try data.train.batch(indices: indices[...])
        let context = SampleContext(seed: c.seed, step: 0, sampleIndices: indices)

        func forward() throws -> Tensor {
            try SampleContext.$current.withValue(context) {
                try evaluator.lossValue(model(x), y, reduction: .sum)
            }
        }
        // Warm-up, unmeasured: anything allocated once per process or per model happens here.
        try forward().backward()
        zeroGrad(parameters)
        for bn in batchNorms { _ = bn.takePendingStatistics() }

        let meter = MemoryMeter()
        let saved = try meter.track {
            let loss = try forward()
            let saved = meter.liveBytes
            try loss.backward()
            return saved
        }
        for bn in batchNorms { _ = bn.takePendingStatistics() }
        return Result(name: name, batch: batch, checkpoint: checkpoint, savedBytes: saved, peakBytes: meter.peakBytes)
    }
}
