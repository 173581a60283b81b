import Testing
import Optim

@Suite("LR schedules")
struct LRScheduleTests {
    /// Our closed forms against PyTorch's (recursive) schedulers: equal to rounding.
    func expectSchedule(_ schedule: any LRSchedule, _ expected: [Double], _ what: String,
                        sourceLocation: SourceLocation = #_sourceLocation) {
        let actual = expected.indices.map { schedule.learningRate(atStep: $0) }
        expectClose(actual, expected, relative: 1e-12, what, sourceLocation: sourceLocation)
    }

    @Test func cosineMatchesCosineAnnealingLR() throws {
        let cosine = try CosineSchedule(baseLR: 0.1, minLR: 0.001, totalSteps: 10)
        expectSchedule(cosine, PyTorchFixtures.cosine, "CosineAnnealingLR(T_max=10, eta_min=0.001)")
        #expect(cosine.learningRate(atStep: 0) == 0.1)
        #expect(cosine.learningRate(atStep: 5) == 0.0505)
        #expect(cosine.learningRate(atStep: 10) == 0.001)
        // Past the end it stays at minLR (PyTorch's would rise again).
        #expect(cosine.learningRate(atStep: 15) == 0.001)
    }

    @Test func stepMatchesStepLR() throws {
        let decay = try StepSchedule(baseLR: 0.1, stepSize: 3, gamma: 0.5)
        expectSchedule(decay, PyTorchFixtures.stepDecay, "StepLR(step_size=3, gamma=0.5)")
        #expect(decay.learningRate(atStep: 2) == 0.1)
        #expect(decay.learningRate(atStep: 3) == 0.05)
    }

    @Test func warmupMatchesLinearLR() throws {
        let warmup = try WarmupSchedule(warmupSteps: 4, startFactor: 0.25, then: ConstantSchedule(lr: 0.1))
        expectSchedule(warmup, PyTorchFixtures.linearWarmup, "LinearLR(start_factor=0.25, total_iters=4)")
    }

    @Test func warmupThenCosineMatchesSequentialLR() throws {
        let schedule = try WarmupSchedule(warmupSteps: 4,
                                          then: CosineSchedule(baseLR: 0.4, minLR: 0, totalSteps: 8))
        #expect(schedule.startFactor == 0.2)   // default 1/(W+1)
        expectSchedule(schedule, PyTorchFixtures.warmupCosine,
                       "SequentialLR([LinearLR(1/5, total_iters=4), CosineAnnealingLR(T_max=8)], [4])")
    }

    @Test func defaultWarmupIsGradual() throws {
        // lr·(t+1)/(W+1): never zero at step 0, reaches lr right after warmup.
        let schedule = try WarmupSchedule(warmupSteps: 9, then: ConstantSchedule(lr: 1))
        for t in 0..<9 {
            #expect(abs(schedule.learningRate(atStep: t) - Double(t + 1) / 10) < 1e-15)
        }
        #expect(schedule.learningRate(atStep: 9) == 1)
        #expect(try WarmupSchedule(warmupSteps: 0, then: ConstantSchedule(lr: 0.3)).learningRate(atStep: 0) == 0.3)
    }

    @Test func warmupThenStepDecay() throws {
        let schedule = try WarmupSchedule(warmupSteps: 5, startFactor: 0,
                                          then: StepSchedule(baseLR: 0.8, stepSize: 10, gamma: 0.1))
        #expect(schedule.learningRate(atStep: 0) == 0)
        #expect(schedule.learningRate(atStep: 1) == 0.8 * 0.2)
        #expect(schedule.learningRate(atStep: 5) == 0.8)
        #expect(schedule.learningRate(atStep: 14) == 0.8)
        #expect(schedule.learningRate(atStep: 15) == 0.8 * 0.1)
    }

    @Test func constant() {
        #expect(ConstantSchedule(lr: 0.01).learningRate(atStep: 123_456) == 0.01)
    }

    @Test func invalidSchedulesThrow() {
        #expect(throws: OptimizerError.self) { try CosineSchedule(baseLR: 0.1, totalSteps: 0) }
        #expect(throws: OptimizerError.self) { try CosineSchedule(baseLR: -0.1, totalSteps: 10) }
        #expect(throws: OptimizerError.self) { try StepSchedule(baseLR: 0.1, stepSize: 0) }
        #expect(throws: OptimizerError.self) { try StepSchedule(baseLR: 0.1, stepSize: 2, gamma: -1) }
        #expect(throws: OptimizerError.self) { try WarmupSchedule(warmupSteps: -1, then: ConstantSchedule(lr: 1)) }
        #expect(throws: OptimizerError.self) {
            try WarmupSchedule(warmupSteps: 3, startFactor: 1.5, then: ConstantSchedule(lr: 1))
        }
    }
}
