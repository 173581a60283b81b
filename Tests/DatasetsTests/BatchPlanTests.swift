import Datasets
import Testing

@Suite struct BatchPlanTests {
    @Test func accumulationSteps() throws {
        #expect(try BatchPlan(globalBatch: 256, microBatch: 32, worldSize: 1, trainCount: 1_000).accumulationSteps == 8)
        #expect(try BatchPlan(globalBatch: 256, microBatch: 32, worldSize: 2, trainCount: 1_000).accumulationSteps == 4)
        #expect(try BatchPlan(globalBatch: 256, microBatch: 32, worldSize: 8, trainCount: 1_000).accumulationSteps == 1)
        let plan = try BatchPlan(globalBatch: 96, microBatch: 16, worldSize: 3, trainCount: 1_000)
        #expect(plan.accumulationSteps == 2 && plan.microBatchesPerStep == 6 && plan.stepsPerEpoch == 10)
    }

    @Test func sameMicroBatchesForEveryWorldSize() throws {
        // n = A·W = 8 micro-batches of 4 per step. For every (W, A) the micro-batches, listed in
        // j = A·r + a order, must be the same ordered global indices — across an epoch boundary too.
        let trainIndices = Array(stride(from: 0, to: 300, by: 3))          // 100 rows with sparse ids
        let permutation = EpochPermutation(seed: 17)
        var reference: [[Int]]?
        for (world, accumulation) in [(1, 8), (2, 4), (4, 2), (8, 1)] {
            let plan = try BatchPlan(globalBatch: 32, microBatch: 4, worldSize: world, trainCount: trainIndices.count)
            #expect(plan.accumulationSteps == accumulation)
            var steps: [[Int]] = []
            for step in 0..<7 {
                let order = permutation.order(epoch: plan.epoch(ofStep: step), of: trainIndices)
                var samples: [Int] = []
                for rank in 0..<world {
                    for a in 0..<accumulation {
                        #expect(plan.microBatchNumber(rank: rank, accumulationStep: a) * 4 == samples.count)
                        samples += plan.microBatchIndices(step: step, rank: rank, accumulationStep: a, permutation: order)
                    }
                }
                // The step's micro-batches are exactly the next B entries of the epoch's order.
                #expect(samples == Array(order[plan.stepPositions(step: step)]))
                steps.append(samples)
            }
            if let reference { #expect(steps == reference, "W = \(world)") } else { reference = steps }
        }
    }

    /// Any W ≤ n: contiguous blocks that differ by at most one, the longer ones first, covering the
    /// step's n micro-batches in order — so the micro-batches do not depend on W.
    @Test func unevenBlocksCoverTheStepInOrder() throws {
        let plan5 = try BatchPlan(globalBatch: 384, microBatch: 32, worldSize: 5, trainCount: 1_000)
        #expect(plan5.microBatchesPerStep == 12 && plan5.accumulationSteps == 3)
        #expect((0..<5).map(plan5.block(ofRank:)) == [0..<3, 3..<6, 6..<8, 8..<10, 10..<12])
        #expect((0..<5).map(plan5.accumulationSteps(rank:)) == [3, 3, 2, 2, 2])
        let trainIndices = Array(0..<500)
        let order = EpochPermutation(seed: 3).order(epoch: 0, of: trainIndices)
        for world in 1...12 {
            let plan = try BatchPlan(globalBatch: 384, microBatch: 32, worldSize: world, trainCount: trainIndices.count)
            var samples: [Int] = []
            for rank in 0..<world {
                for a in 0..<plan.accumulationSteps(rank: rank) {
                    #expect(plan.microBatchNumber(rank: rank, accumulationStep: a) * 32 == samples.count)
                    samples += plan.microBatchIndices(step: 0, rank: rank, accumulationStep: a, permutation: order)
                }
            }
            #expect(samples == Array(order[0..<384]), "W = \(world)")
        }
    }

    @Test func epochsDropTheRemainder() throws {
        let plan = try BatchPlan(globalBatch: 256, microBatch: 32, worldSize: 2, trainCount: 1_000)
        #expect(plan.stepsPerEpoch == 3)
        #expect([0, 1, 2, 3, 5, 6].map(plan.epoch(ofStep:)) == [0, 0, 0, 1, 1, 2])
        #expect(plan.stepPositions(step: 2) == 512..<768)
        #expect(plan.stepPositions(step: 3) == 0..<256)
        #expect(plan.microBatchPositions(step: 4, rank: 1, accumulationStep: 2) == 256 + 6 * 32 ..< 256 + 7 * 32)
    }

    @Test func globalSampleIndex() throws {
        let plan = try BatchPlan(globalBatch: 8, microBatch: 2, worldSize: 2, trainCount: 20)
        let order = EpochPermutation(seed: 4).order(epoch: 0, of: Array(100..<120))
        let rows = plan.microBatchIndices(step: 1, rank: 1, accumulationStep: 0, permutation: order)
        #expect(Array(rows) == Array(order[12..<14]))
        #expect(plan.globalSampleIndex(step: 1, rank: 1, accumulationStep: 0, sample: 1, permutation: order) == order[13])
    }

    @Test func rejectsBadShapes() {
        func message(_ b: Int, _ m: Int, _ w: Int, _ n: Int = 10_000) -> String? {
            do { _ = try BatchPlan(globalBatch: b, microBatch: m, worldSize: w, trainCount: n); return nil }
            catch { return "\(error)" }
        }
        #expect(message(250, 32, 2) == "global batch 250 is not divisible by micro-batch 32")
        #expect(message(96, 32, 4) == "world size 4 exceeds the 3 micro-batches per step (global batch 96 / micro-batch 32): use at most 3 ranks")
        #expect(message(96, 32, 3) == nil && message(96, 32, 2) == nil)
        #expect(message(0, 32, 2) == "global batch must be positive (got 0)")
        #expect(message(256, -1, 2) == "micro-batch must be positive (got -1)")
        #expect(message(256, 32, 0) == "world size must be positive (got 0)")
        #expect(message(512, 32, 2, 400) == "global batch 512 is larger than the training set (400 samples)")
        #expect(message(256, 32, 2, 256) == nil)
    }
}
