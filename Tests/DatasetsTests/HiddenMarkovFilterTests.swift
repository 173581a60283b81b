import Foundation
import Testing
@testable import Datasets

@Suite struct HiddenMarkovFilterTests {
    /// A small model with no symmetry: 3 states, 3 symbols, one emission entry 0.
    static let tiny = try! HiddenMarkovModel(
        transition: [[0.5, 0.3, 0.2], [0.1, 0.6, 0.3], [0.25, 0.25, 0.5]],
        emission: [[0.7, 0.2, 0.1], [0.05, 0.15, 0.8], [0.4, 0.6, 0.0]],
        initial: [0.2, 0.5, 0.3])

    /// p(x_0 … x_{n−1}) as the sum over every hidden path of its probability.
    static func bruteForceProbability(_ tokens: [Int], model: HiddenMarkovModel) -> Double {
        let n = model.states, v = model.symbols
        var total = 0.0
        var path = [Int](repeating: 0, count: tokens.count)
        while true {
            var p = model.initial[path[0]] * model.emission[path[0] * v + tokens[0]]
            for t in 1..<tokens.count {
                p *= model.transition[path[t - 1] * n + path[t]] * model.emission[path[t] * v + tokens[t]]
            }
            total += p
            // Next path, as a base-n counter.
            var t = tokens.count - 1
            while t >= 0 && path[t] == n - 1 { path[t] = 0; t -= 1 }
            if t < 0 { return total }
            path[t] += 1
        }
    }

    @Test func forwardEqualsEnumerationOfHiddenPaths() throws {
        let stationary = try HiddenMarkovModel(
            transition: [[0.5, 0.3, 0.2], [0.1, 0.6, 0.3], [0.25, 0.25, 0.5]],
            emission: [[0.7, 0.2, 0.1], [0.05, 0.15, 0.8], [0.4, 0.6, 0.0]])
        let sequences = [[0, 1, 2, 2, 1, 0, 0], [2, 2, 2, 2, 2, 2, 2], [1, 0, 1, 0, 1, 0, 1], [0, 0, 0, 1, 1, 1, 2]]
        for model in [Self.tiny, stationary] {
            for tokens in sequences {
                var filter = HiddenMarkovFilter(model: model)
                var sum = 0.0
                for t in tokens.indices {
                    let loss = filter.observe(tokens[t])
                    let joint = Self.bruteForceProbability(Array(tokens[...t]), model: model)
                    let previous = t == 0 ? 1 : Self.bruteForceProbability(Array(tokens[..<t]), model: model)
                    #expect(abs(loss - -log(joint / previous)) < 1e-12, "\(tokens) at \(t): \(loss) vs \(-log(joint / previous))")
                    sum += loss
                }
                #expect(abs(sum - -log(Self.bruteForceProbability(tokens, model: model))) < 1e-12)
            }
        }
    }

    @Test func aKnownStartingStateIsConditionedOn() {
        var filter = HiddenMarkovFilter(model: Self.tiny)
        filter.reset(toState: 2)
        #expect(filter.probability(of: 1) == 0.6)
        #expect(abs(filter.observe(1) - -log(0.6)) < 1e-15)
        // After observing in state 2 for certain, the next state is row 2 of the transitions.
        #expect(filter.prediction == [0.25, 0.25, 0.5])
    }

    @Test func anImpossibleTokenCostsInfinityAndChangesNothing() {
        var filter = HiddenMarkovFilter(model: Self.tiny)
        filter.reset(toState: 2)
        let before = filter.prediction
        #expect(filter.observe(2) == .infinity)          // state 2 never emits token 2
        #expect(filter.prediction == before)
    }

    @Test func longSequencesNeitherUnderflowNorDrift() {
        var filter = HiddenMarkovFilter(model: Self.tiny)
        var total = 0.0
        for t in 0..<50_000 { total += filter.observe([0, 1, 1, 2, 0, 1][t % 6]) }
        // p(sequence) ≈ e^-50,000 underflows any Double; the scaled filter keeps a distribution.
        #expect(total.isFinite && total > 10_000)
        #expect(abs(filter.prediction.reduce(0, +) - 1) < 1e-12)
    }

    @Test func stationaryDistributionIsSolved() throws {
        let two = try HiddenMarkovModel(transition: [[0.9, 0.1], [0.2, 0.8]], emission: [[0.7, 0.3], [0.1, 0.9]])
        #expect(abs(two.initial[0] - 2.0 / 3) < 1e-15 && abs(two.initial[1] - 1.0 / 3) < 1e-15)
        let three = try HiddenMarkovModel(transition: [[0, 1, 0], [0, 0, 1], [1, 0, 0]], emission: [[1], [1], [1]])
        #expect(three.initial.allSatisfy { abs($0 - 1.0 / 3) < 1e-15 })   // periodic, still unique
        let one = try HiddenMarkovModel(transition: [[1]], emission: [[0.5, 0.5]])
        #expect(one.initial == [1])
    }

    @Test func badModelsAreRefusedWithOneLine() {
        func message(_ make: () throws(DatasetError) -> HiddenMarkovModel) -> String {
            do { _ = try make(); return "no error" } catch { return error.description }
        }
        #expect(message { () throws(DatasetError) in try HiddenMarkovModel(transition: [], emission: []) }
                == "a hidden Markov model needs at least 1 state (got 0)")
        #expect(message { () throws(DatasetError) in try HiddenMarkovModel(transition: [[1]], emission: [[]]) }
                == "a hidden Markov model needs at least 1 symbol (got 0)")
        #expect(message { () throws(DatasetError) in try HiddenMarkovModel(transition: [[0.5, 0.4], [0, 1]], emission: [[1], [1]]) }
                == "row 0 of the transition matrix sums to 0.9, not 1")
        #expect(message { () throws(DatasetError) in try HiddenMarkovModel(transition: [[1]], emission: [[1.5, -0.5]]) }
                == "row 0 of the emission matrix has the entry -0.5: probabilities are finite and non-negative")
        #expect(message { () throws(DatasetError) in try HiddenMarkovModel(transition: [[1, 0], [0, 1]], emission: [[1], [1]]) }
                == "the transition matrix has no unique stationary distribution (some state cannot reach another): give the initial distribution")
        #expect(message { () throws(DatasetError) in try HiddenMarkovModel(transition: [[1]], emission: [[1]], initial: [0.5, 0.5]) }
                == "the initial distribution has 2 entries for 1 state")
        #expect(message { () throws(DatasetError) in try HiddenMarkovModel(transition: [[1, 0], [0, 1]], emission: [[1]]) }
                == "the emission matrix has 1 row for 2 states")
    }
}
