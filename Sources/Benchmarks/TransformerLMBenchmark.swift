import Foundation
import TensorCore
import Autograd
import NN
import Optim
import Datasets
import Config
import Training
import Distributed

/// The benchmark's language model: GPT-2's architecture at a small size — token and learned position
/// embeddings (untied from the head), `layers` pre-LayerNorm blocks `x + attn(ln_1(x))`,
/// `x + mlp(ln_2(x))` with causal multi-head attention and an MLP `c_fc → GELU(tanh) → c_proj`,
/// a final LayerNorm and an unbiased `lm_head`; LayerNorm eps 1e-5, biases everywhere else, no
/// dropout. Its `state_dict` has PyTorch's (nanoGPT's) names: `wte.weight`, `wpe.weight`,
/// `h.0.ln_1.weight`, `h.0.attn.c_attn.weight`, `h.0.mlp.c_fc.weight`, …, `ln_f.bias`,
/// `lm_head.weight`. launch/pytorch_step_baseline.py holds its PyTorch twin.
///
/// ```swift
/// let model = TransformerLM(key: RandomKey(seed: 1, stream: .initialization))
/// let logits = try model(ids)   // ids (B, 64) int64 → (B, 64, 64)
/// ```
public final class TransformerLM: Module {
    /// The sizes; the defaults are the benchmark's.
    public struct Size: Sendable, Equatable {
        public var vocabulary = 64, context = 64, width = 64, heads = 4, layers = 2, hidden = 256
        public init() {}
    }

    public let size: Size
    public let wte: Embedding, wpe: Embedding, h: Sequential, lnF: LayerNorm, lmHead: Linear

    public init(size: Size = Size(), key: RandomKey) {
        self.size = size
        let c = size.width
        wte = Embedding(size.vocabulary, c, key: key.with(a: 0))
        wpe = Embedding(size.context, c, key: key.with(a: 1))
        h = Sequential((0..<size.layers).map { i -> (name: String?, module: Module) in
            let k = key.with(a: UInt32(2 + 4 * i))
            let attention = MultiHeadCausalSelfAttention(dim: c, heads: size.heads, attentionKey: k, projectionKey: k.with(a: k.a + 1))
            let mlp = Sequential([("c_fc", Linear(c, size.hidden, key: k.with(a: k.a + 2))), ("gelu", GELU(approximate: .tanh)),
                                  ("c_proj", Linear(size.hidden, c, key: k.with(a: k.a + 3)))])
            let block = Sequential([("", Residual(Sequential([("ln_1", LayerNorm(c)), ("attn", attention)]))),
                                    ("", Residual(Sequential([("ln_2", LayerNorm(c)), ("mlp", mlp)])))])
            return (String(i), block)
        })
        lnF = LayerNorm(c)
        lmHead = Linear(c, size.vocabulary, bias: false, key: key.with(a: UInt32(2 + 4 * size.layers)))
        super.init()
        register(module: wte, as: "wte")
        register(module: wpe, as: "wpe")
        register(module: h, as: "h")
        register(module: lnF, as: "ln_f")
        register(module: lmHead, as: "lm_head")
    }

    /// ids (B, T) int64, T ≤ context → logits (B, T, vocabulary).
    public override func forward(_ ids: Tensor) throws -> Tensor {
        let x = try wte(ids) + wpe(Tensor.arange(ids.shape[1]))
        return try lmHead(lnF(h(x)))
    }

    /// The training loss of a micro-batch as the trainer takes it: the cross-entropy of each sample's
    /// next-token predictions, averaged over its T positions, summed over the B samples (the mean
    /// over all B·T positions, times B).
    public func loss(_ batch: (inputs: Tensor, targets: Tensor)) throws -> Tensor {
        let logits = try self(batch.inputs)
        return try Loss.crossEntropy(logits.reshape([-1, size.vocabulary]), batch.targets, reduction: .sum) / Double(batch.inputs.shape[1])
    }

    public override var summary: String {
        "TransformerLM(vocabulary \(size.vocabulary), context \(size.context), width \(size.width), heads \(size.heads), layers \(size.layers), hidden \(size.hidden))"
    }
}

/// Times `Trainer.step()` of `TransformerLM` on windows of the synthetic language (seed 7) with
/// AdamW (lr 3e-3, betas (0.9, 0.95), weight decay 0.1), one micro-batch of `batch` windows per
/// step, one BLAS thread — the step launch/pytorch_step_baseline.py times in PyTorch — and says how
/// much of it is GEMM: the time inside the step's `cblas_sgemm` calls (`GEMMProfile`, in profiled
/// steps apart from the timed ones) over the step's time, and the same GEMMs replayed back to back.
///
/// ```swift
/// let r = try TransformerLMBenchmark(batch: 16).run(seconds: 2)
/// print(r.microsecondsPerStep, r.gemmShare)
/// ```
public struct TransformerLMBenchmark {
    public struct Result: Sendable {
        public let batch: Int
        public let context: Int
        public let microsecondsPerStep: Double
        /// The median of the 5 timed blocks and the other four, for the spread.
        public let blockMicroseconds: [Double]
        public var samplesPerSecond: Double { Double(batch) / microsecondsPerStep * 1e6 }
        /// `gemmFlops(…)` of one step.
        public let gemmFlopsPerStep: Double
        public var gflops: Double { gemmFlopsPerStep / microsecondsPerStep / 1e3 }
        /// Microseconds per step inside cblas GEMM calls (profiled steps), and their count.
        public let gemmMicroseconds: Double
        public let gemmCalls: Int
        /// The share of the step spent in GEMMs: `gemmMicroseconds / microsecondsPerStep`.
        public var gemmShare: Double { gemmMicroseconds / microsecondsPerStep }
        /// The step's GEMMs grouped by call (shape, transposes, leading dimensions, beta): how many
        /// per step and their microseconds per step inside the step, largest first.
        public let gemmBreakdown: [(call: GEMMProfile.Call, count: Int, microseconds: Double)]
        /// The step's GEMMs (the recorded calls, whatever their count) replayed back to back.
        public let replayMicroseconds: Double
        public let replayFlops: Double
        public var sgemmGflops: Double { replayFlops / replayMicroseconds / 1e3 }
    }

    public let batch: Int
    public let size: TransformerLM.Size

    public init(batch: Int, size: TransformerLM.Size = TransformerLM.Size()) {
        self.batch = batch
        self.size = size
    }

    /// A trainer for the benchmark: the model from seed 1, `windows` training windows of the synthetic
    /// language (seed 7) after its first 65,537 tokens.
    public func makeTrainer(windows: Int = 1_024) throws -> (trainer: Trainer, model: TransformerLM) {
        let model = TransformerLM(size: size, key: RandomKey(seed: 1, stream: .initialization))
        let language = try SyntheticLanguage(seed: 7, vocabulary: size.vocabulary)
        let count = max(windows, 2 * batch)
        let data = try language.windows(context: size.context, positions: 65_537 ..< 65_537 + count * size.context + 1)
        let trainer = try Trainer(model: model, data: data, loss: { model, batch in try model.loss(batch) },
                                  optimizer: { try AdamW(parameters: $0, lr: 3e-3, betas: (0.9, 0.95), weightDecay: 0.1, shard: $1) },
                                  schedule: ConstantSchedule(lr: 3e-3), batch: BatchConfig(global: batch, micro: batch),
                                  options: TrainerOptions(seed: 0))
        return (trainer, model)
    }

    /// Warm-up steps, then 5 timed blocks of steps for about `seconds` in all (the median block's
    /// time per step), then 3 profiled steps for the GEMM share.
    public func run(seconds: Double = 1.5) throws -> Result {
        BLASThreads.set(1)
        let (trainer, model) = try makeTrainer()
        let blocks = try blockMicrosecondsPerStep(trainer, seconds: seconds), microseconds = blocks.sorted()[2]
        let profile = GEMMProfile()
        let profiledSteps = 3
        try profile.track { for _ in 0..<profiledSteps { try trainer.step() } }
        let perStep = GEMMProfile()
        try perStep.track { try trainer.step() }
        var groups: [GEMMProfile.Call: (count: Int, nanoseconds: UInt64)] = [:]
        for (call, ns) in zip(profile.calls, profile.durations) {
            groups[call, default: (0, 0)].count += 1
            groups[call, default: (0, 0)].nanoseconds += ns
        }
        let breakdown = groups.map { (call: $0.key, count: $0.value.count / profiledSteps,
                                      microseconds: Double($0.value.nanoseconds) / 1e3 / Double(profiledSteps)) }
            .sorted { $0.microseconds > $1.microseconds }
        return Result(batch: batch, context: size.context, microsecondsPerStep: microseconds, blockMicroseconds: blocks,
                      gemmFlopsPerStep: Self.gemmFlops(model, batch: batch),
                      gemmMicroseconds: Double(profile.nanoseconds) / 1e3 / Double(profiledSteps),
                      gemmCalls: perStep.calls.count, gemmBreakdown: breakdown,
                      replayMicroseconds: perStep.replay(repetitions: 9) / 1e3, replayFlops: perStep.flops)
    }

    /// The losses of the first `steps` steps of a fresh trainer and a 64-bit hash of the parameters
    /// after them (`ReplicaDigest`): what shows whether a change to the kernels changed any bit.
    public func check(steps: Int) throws -> (losses: [Double], parameterDigest: UInt64) {
        BLASThreads.set(1)
        let (trainer, model) = try makeTrainer()
        let losses = try (0..<steps).map { _ in try trainer.step().loss }
        return (losses, ReplicaDigest.hash(model.parameters()))
    }

    /// GEMM flops of one training step of `model` on `batch` windows: every Linear on the B·T rows
    /// (2·rows·in·out for the forward, the same for ∂W and for ∂x), and per attention layer six
    /// (T, T, D) products per sample and head (q·kᵀ and P·v forward; dv, dP, dq, dk backward),
    /// 12·B·T²·C in all. The causal mask's upper triangle is counted: these are the products' sizes.
    public static func gemmFlops(_ model: TransformerLM, batch: Int) -> Double {
        let t = Double(model.size.context), rows = Double(batch) * t
        let linears = model.namedModules().compactMap { $0.module as? Linear }
        let linearFlops = linears.reduce(0.0) { $0 + 3 * 2 * rows * Double($1.inFeatures * $1.outFeatures) }
        let attentions = model.namedModules().compactMap { $0.module as? MultiHeadCausalSelfAttention }
        let attentionFlops = attentions.reduce(0.0) { $0 + 12 * Double(batch) * t * t * Double($1.dim) }
        return linearFlops + attentionFlops
    }
}
