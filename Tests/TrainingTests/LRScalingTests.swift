import Testing
import Training
#if canImport(Config)
import Config   // where OptimizerConfig lives once the config has its own target
#endif

/// The one LR-scaling rule, `OptimizerConfig.scaledLR` (it replaced Optim's test-only
/// `linearScaledLR`): Goyal et al.'s linear rule, 0.1 per 256 samples, and the square-root rule.
@Suite struct LRScalingTests {
    static func config(_ rule: OptimizerConfig.LRScaling.Rule?) -> OptimizerConfig {
        OptimizerConfig(type: .sgd, lr: 0.1, lrScaling: rule.map { .init(referenceBatch: 256, rule: $0) })
    }

    @Test func linearRule() {
        let linear = Self.config(.linear)
        #expect(linear.scaledLR(globalBatch: 1024) == 0.4)
        #expect(linear.scaledLR(globalBatch: 256) == 0.1)
        #expect(linear.scaledLR(globalBatch: 64) == 0.025)
    }

    @Test func squareRootRuleAndNoScaling() {
        #expect(Self.config(.sqrt).scaledLR(globalBatch: 1024) == 0.2)
        #expect(Self.config(.sqrt).scaledLR(globalBatch: 64) == 0.05)
        #expect(Self.config(nil).scaledLR(globalBatch: 1024) == 0.1)
    }
}
