import TensorCore
import Optim
import Config

/// Makes the optimizer and learning-rate schedule a config names.
public enum OptimizerFactory {
    /// `shard`: the flat-buffer elements this rank updates under optimizer-state sharding (nil: all).
    public static func makeOptimizer(_ config: RunConfig, parameters: [(name: String, tensor: Tensor)],
                                     shard: Range<Int>? = nil) throws -> Optimizer {
        let o = config.optimizer
        let lr = o.scaledLR(globalBatch: config.batch.global)
        switch o.type {
        case .sgd:
            return try SGD(parameters: parameters, lr: lr, momentum: o.momentum, dampening: o.dampening,
                           weightDecay: o.weightDecay, nesterov: o.nesterov, shard: shard)
        case .adam:
            return try Adam(parameters: parameters, lr: lr, betas: o.betas, eps: o.eps, weightDecay: o.weightDecay, shard: shard)
        case .adamw:
            return try AdamW(parameters: parameters, lr: lr, betas: o.betas, eps: o.eps, weightDecay: o.weightDecay, shard: shard)
        case .lars:
            return try LARS(parameters: parameters, lr: lr, momentum: o.momentum, weightDecay: o.weightDecay,
                            trustCoefficient: o.trustCoefficient, eps: o.eps, nesterov: o.nesterov,
                            exclude: exclusion(o.exclude), shard: shard)
        case .lamb:
            return try LAMB(parameters: parameters, lr: lr, betas: o.betas, eps: o.eps, weightDecay: o.weightDecay,
                            exclude: exclusion(o.exclude), shard: shard)
        }
    }

    static func exclusion(_ e: OptimizerConfig.Exclusion) -> AdaptationExclusion {
        switch e {
        case .oneDimensional: .oneDimensional
        case .none: .none
        }
    }

    /// The schedule over `train.steps` steps, with linear warm-up first when asked.
    public static func makeSchedule(_ config: RunConfig) throws -> LRSchedule {
        let s = config.schedule
        let lr = config.optimizer.scaledLR(globalBatch: config.batch.global)
        let afterWarmup = max(1, config.train.steps - s.warmupSteps)
        let main: LRSchedule
        switch s.type {
        case .constant: main = ConstantSchedule(lr: lr)
        case .cosine: main = try CosineSchedule(baseLR: lr, minLR: s.minLR, totalSteps: afterWarmup)
        case .step: main = try StepSchedule(baseLR: lr, stepSize: s.stepSize, gamma: s.gamma)
        }
        return s.warmupSteps > 0 ? try WarmupSchedule(warmupSteps: s.warmupSteps, then: main) : main
    }
}
