import Testing
import TensorCore
import NN
@testable import Optim

// The ```swift blocks of the `///` comments in Optim and of docs/optim.md, each compiled inside a
// function whose parameters stand for what the surrounding comment or prose assumes. ParameterBuffer
// and FlatState are internal, hence the @testable import.

enum OptimExamples {
    static func adam(model: Module) throws {
        let adam = try Adam(parameters: model.namedParameters(), lr: 1e-3, betas: (0.9, 0.999))
        try adam.step()
    }

    static func adamW(model: Module) throws {
        let opt = try AdamW(parameters: model.namedParameters(), lr: 3e-4, weightDecay: 0.05)
        try opt.step()
    }

    static func cosine() throws {
        let cosine = try CosineSchedule(baseLR: 0.1, minLR: 0.001, totalSteps: 1000)
        cosine.learningRate(atStep: 500)    // 0.0505
    }

    static func flatState(buffer: ParameterBuffer) throws {
        let state = try FlatState(buffer, shard: nil, slots: ["exp_avg", "exp_avg_sq"], countsSteps: true, optimizer: "Adam")
        state.slots[0]                  // (P) exp_avg, zeros
    }

    static func clip(loss: Tensor, model: Module, optimizer: Optimizer) throws {
        try loss.backward()
        let norm = clipGradNorm(model.namedParameters(), maxNorm: 1.0)
        if norm.isFinite { try optimizer.step() }
    }

    static func clipFlat(flat: FlatParameters) {
        let norm = clipGradNorm(flatGradients: flat.gradients, maxNorm: 1)
        _ = norm
    }

    static func squaredSum(flat: FlatParameters) {
        let mine = GradientNorm.blockSquaredSums(flat.gradients, elements: 0..<4096)   // 4 blocks
        let total = GradientNorm.total(mine)
        _ = total
    }

    static func schedule(optimizer: Optimizer) throws {
        let schedule = try WarmupSchedule(warmupSteps: 100,
                                          then: CosineSchedule(baseLR: 0.1, minLR: 1e-4, totalSteps: 900))
        for t in 0..<1000 {
            optimizer.learningRate = schedule.learningRate(atStep: t)
            try optimizer.step()
        }
    }

    static func constant() {
        ConstantSchedule(lr: 0.01).learningRate(atStep: 5000)   // 0.01
    }

    static func optimizer(model: Module, batches: [Tensor], loss: (Tensor) throws -> Tensor) throws {
        let opt = try SGD(parameters: model.namedParameters(), lr: 0.1, momentum: 0.9)
        for batch in batches {
            opt.zeroGrad()
            try loss(batch).backward()
            try opt.step()
        }
        let state = opt.stateTensors()          // [("optimizer.layer1.weight.momentum_buffer", …), …]
        _ = state
    }

    static func error(params: [(name: String, tensor: Tensor)]) {
        do { _ = try SGD(parameters: params, lr: -1) }
        catch let error as OptimizerError { print(error) }   // "SGD: invalid learning rate -1.0 (must be finite and ≥ 0)"
        catch { print(error) }
    }

    static func parameterBuffer() throws {
        let (w, b) = (Tensor.zeros([2, 3]), Tensor.zeros([2]))
        let buffer = try ParameterBuffer([("w", w), ("b", b)], optimizer: "SGD")
        buffer.segments                 // [0..<6, 6..<8]
    }

    static func sgd(model: Module) throws {
        let sgd = try SGD(parameters: model.namedParameters(), lr: 0.1, momentum: 0.9, weightDecay: 1e-4,
                          nesterov: true)
        try sgd.step()
    }

    static func step() throws {
        let decay = try StepSchedule(baseLR: 0.1, stepSize: 30, gamma: 0.1)
        decay.learningRate(atStep: 29)   // 0.1
        decay.learningRate(atStep: 30)   // 0.01 (to rounding)
    }

    static func warmup() throws {
        let cosine = try CosineSchedule(baseLR: 0.4, totalSteps: 90)
        let schedule = try WarmupSchedule(warmupSteps: 10, then: cosine)   // 100 steps in all
        schedule.learningRate(atStep: 0)    // 0.4/11
        schedule.learningRate(atStep: 10)   // 0.4
    }

    static func tensorNorms() {
        let norms = TensorNorms(segments: [0..<1500, 1500..<1510], quantities: 2)
        norms.pieces.count                         // 3: 0..<1024, 1024..<1500, 1500..<1510
        norms.pieces(in: 0..<1024)                 // 0..<1 — the pieces a shard holds
    }

    static func layerwise(model: Module, mine: Range<Int>, allShards: [Range<Int>],
                          allGather: @escaping (UnsafeMutableRawBufferPointer, (Int) -> Range<Int>) throws -> Void) throws {
        let lamb = try LAMB(parameters: model.namedParameters(), lr: 1e-3, weightDecay: 0.01, shard: mine)
        lamb.shardExchange = ShardExchange(shards: allShards) { bytes, part in try allGather(bytes, part) }
        try lamb.step()
    }

    static func exclusion(ps: [(name: String, tensor: Tensor)]) throws {
        let lars = try LARS(parameters: ps, lr: 2, exclude: .matching { name, _ in name.hasSuffix(".bias") })
        _ = lars
    }

    static func lars(model: Module) throws {
        let lars = try LARS(parameters: model.namedParameters(), lr: 4, momentum: 0.9, weightDecay: 1e-4)
        try lars.step()
    }

    static func lamb(model: Module) throws {
        let lamb = try LAMB(parameters: model.namedParameters(), lr: 0.01, weightDecay: 0.01)
        try lamb.step()
    }
}

enum OptimDocs {
    static func overview(model: Module) throws {
        let params = model.namedParameters()                      // [(name: String, tensor: Tensor)]
        let optimizer = try AdamW(parameters: params, lr: 3e-4, weightDecay: 0.05)
        let schedule = try WarmupSchedule(warmupSteps: 500,
                                          then: CosineSchedule(baseLR: 3e-4, minLR: 3e-5, totalSteps: 9_500))
        for step in 0..<10_000 {
            optimizer.zeroGrad()
            // forward, backward, allreduce of the gradients …
            let norm = clipGradNorm(params, maxNorm: 1.0)
            optimizer.learningRate = schedule.learningRate(atStep: step)
            if norm.isFinite { try optimizer.step() }
        }
    }

    /// The protocol as the docs list it; nested so that it does not shadow Optim's.
    enum Listing {
        public protocol Optimizer: AnyObject {
            var learningRate: Double { get set }
            var parameters: [(name: String, tensor: Tensor)] { get }
            func step() throws
            func zeroGrad(setToNil: Bool)                 // + zeroGrad() == zeroGrad(setToNil: true)
            func stateTensors() -> [(name: String, tensor: Tensor)]
            func loadState(_ tensors: [String: Tensor]) throws
        }
    }
}
