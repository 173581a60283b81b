import Testing
import TensorCore
import Distributed
@testable import Training

/// `distributed.overlap: auto` (`OverlapTrial`): the first steps alternate in a fixed schedule, the
/// ranks' step times are added in the statistics reduction, and every rank takes the same decision
/// from the same sums, whatever its own times were.
@Suite struct OverlapTrialTests {
    @Test func theScheduleTimesBothWaysThenKeepsTheChoice() throws {
        var trial = OverlapTrial()
        let statistics = Tensor.zeros([2])
        var schedule: [Bool] = []
        for _ in 0..<12 {
            schedule.append(trial.overlapsNextStep)
            trial.record(into: statistics, at: 0)
            let carried = statistics.floatArray
            // One rank: the "reduction" leaves the vector as it is. Overlapped steps take 30 ms, others 40.
            let undecided = trial.choice == nil
            trial.stepFinished(seconds: trial.overlapsNextStep ? 0.030 : 0.040, reduced: statistics, at: 0, ranks: 1)
            if trial.choice == nil || !undecided {
                #expect(carried == [0, 0])
            } else {
                #expect(carried == [120_000, 90_000])      // the deciding step: 3 steps each way, in whole µs
            }
        }
        let k = OverlapTrial.timedSteps
        // Warm-up and k timed steps without, warm-up and k with, the deciding step, then the choice.
        #expect(schedule == Array(repeating: false, count: k + 1) + Array(repeating: true, count: k + 1) + [false]
                + Array(repeating: true, count: 12 - 2 * k - 3))
        let choice = try #require(trial.choice)
        #expect(choice.overlap)
        #expect(abs(choice.secondsPerStepWith - 0.030) < 1e-6 && abs(choice.secondsPerStepWithout - 0.040) < 1e-6)
    }

    /// Three ranks with different times (rank r's overlapped steps take 30 + r ms or 45 + r ms, the
    /// others 40 ms): the sums travel in the reduction and all ranks choose alike, from the mean.
    @Test(arguments: [0.030, 0.045])
    func everyRankTakesTheSameDecisionFromTheReducedSums(overlappedSeconds: Double) throws {
        let choices = try SimulatedWorld.run(ranks: 3) { comm -> OverlapChoice? in
            var trial = OverlapTrial()
            let reducer = GradientReducer(mode: .deterministic, communicator: comm)
            let statistics = Tensor.zeros([2])
            for _ in 0..<(2 * OverlapTrial.timedSteps + 3) {
                let overlapped = trial.overlapsNextStep
                trial.record(into: statistics, at: 0)
                try reducer.reduce(fragments: [statistics.floats], leaves: 3,
                                   into: UnsafeMutableBufferPointer(start: statistics.floats, count: 2))
                let seconds = overlapped ? overlappedSeconds + 0.001 * Double(comm.rank) : 0.040
                trial.stepFinished(seconds: seconds, reduced: statistics, at: 0, ranks: comm.worldSize)
            }
            return trial.choice
        }
        #expect(choices.allSatisfy { $0 != nil && $0 == choices[0] })
        let choice = try #require(choices[0])
        #expect(choice.overlap == (overlappedSeconds < 0.040))
        #expect(abs(choice.secondsPerStepWith - (overlappedSeconds + 0.001)) < 1e-6)
        #expect(abs(choice.secondsPerStepWithout - 0.040) < 1e-6)
    }
}
