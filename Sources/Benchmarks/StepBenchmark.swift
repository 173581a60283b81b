import Foundation
import TensorCore
import NN
import Config
import Training

/// Times training steps of a model and, for comparison, the BLAS GEMMs those steps are made of.
///
/// A measured step is `Trainer.step()` itself: gather the batch, forward, summed loss, backward,
/// gradient scaling, optimizer update, running statistics. One micro-batch per step, one BLAS thread.
///
/// ```swift
/// let r = try StepBenchmark(name: "wide-mlp", config: config, batch: 256).run(seconds: 2)
/// print(r.microsecondsPerStep)
/// ```
public struct StepBenchmark {
    public struct Result: Sendable {
        public let name: String
        public let batch: Int
        public let microsecondsPerStep: Double
        public var samplesPerSecond: Double { Double(batch) / microsecondsPerStep * 1e6 }
        /// Floating-point operations of one step's GEMMs (forward, weight and input gradients).
        public let gemmFlopsPerStep: Double
        public var gflops: Double { gemmFlopsPerStep / microsecondsPerStep / 1e3 }
    }

    public let name: String
    public let config: RunConfig
    public let batch: Int

    /// `config` with its batch set to `batch` (one micro-batch per step) and enough synthetic samples.
    public init(name: String, config: RunConfig, batch: Int) {
        self.name = name
        self.config = config.sizedForBenchmark(micro: batch)
        self.batch = batch
    }

    /// Runs warm-up steps, then timed steps for about `seconds`; reports the median of 5 timed blocks.
    public func run(seconds: Double = 1.5) throws -> Result {
        BLASThreads.set(1)
        let trainer = try Trainer(config: config, data: PreparedData(config: config))
        let blocks = try blockMicrosecondsPerStep(trainer, seconds: seconds), microseconds = blocks.sorted()[2]
        return Result(name: name, batch: batch, microsecondsPerStep: microseconds,
                      gemmFlopsPerStep: Self.gemmFlops(trainer.model, batch: batch))
    }

    /// GEMM flops of one training step: per Linear 2·b·in·out forward, the same for ∂W, and the same
    /// for ∂x except in the first layer (the data needs no gradient).
    static func gemmFlops(_ model: Module, batch: Int) -> Double {
        let linears = model.namedModules().compactMap { $0.module as? Linear }
        return linears.enumerated().reduce(0.0) { total, item in
            let per = 2 * Double(batch) * Double(item.element.inFeatures * item.element.outFeatures)
            return total + per * (item.offset == 0 ? 2 : 3)
        }
    }

    /// The sustained rate (GFLOP/s) of OpenBLAS on exactly the GEMMs of one training step of `model`
    /// at `batch`, called back to back with preallocated operands.
    public static func sgemmRate(model: Module, batch: Int, seconds: Double = 1.5) -> Double {
        BLASThreads.set(1)
        let linears = model.namedModules().compactMap { $0.module as? Linear }
        var calls: [() -> Void] = []
        for (i, layer) in linears.enumerated() {
            let x = Tensor.full([batch, layer.inFeatures], 0.5), w = layer.weight.copy()
            let y = Tensor.zeros([batch, layer.outFeatures]), dw = Tensor.zeros(w.shape), dx = Tensor.zeros(x.shape)
            calls.append { Tensor.gemm(x, transposeA: false, w, transposeB: true, into: y, beta: 0) }      // forward
            calls.append { Tensor.gemm(y, transposeA: true, x, transposeB: false, into: dw, beta: 0) }     // ∂W
            if i > 0 { calls.append { Tensor.gemm(y, transposeA: false, w, transposeB: false, into: dx, beta: 0) } }  // ∂x
        }
        let flops = gemmFlops(model, batch: batch)
        for call in calls { call() }
        var rates: [Double] = []
        let deadline = DispatchTime.now().uptimeNanoseconds + UInt64(seconds * 1e9)
        repeat {
            let start = DispatchTime.now().uptimeNanoseconds
            for call in calls { call() }
            rates.append(flops / Double(DispatchTime.now().uptimeNanoseconds - start))
        } while DispatchTime.now().uptimeNanoseconds < deadline || rates.count < 5
        return rates.sorted()[rates.count / 2]   // GFLOP/s (flops per ns)
    }
}
