#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The forward algorithm, one token at a time: the law of the hidden state given the tokens seen so
/// far, and the probability of each new token given them.
///
/// The filter holds `prediction`, P(s_t | x_0 … x_{t−1}), starting from a prior for the first
/// state (the model's `initial`, or a state known for certain). `observe(x)` returns
/// −log p(x_t = x | x_0 … x_{t−1}) = −log Σ_s prediction[s]·emission[s, x], then conditions on x
/// and moves one step. Each step is normalised by that probability (the scaled forward algorithm), so
/// a sequence of any length neither underflows nor loses precision, and the returned losses add up to
/// −log p(x_0 … x_{n−1}), the likelihood the unscaled recursion would underflow on. Arithmetic is in
/// Double, in a fixed order: the same tokens give the same bits.
///
/// ```swift
/// var filter = HiddenMarkovFilter(model: model)
/// let first = filter.observe(1)       // −log p(x_0 = 1)
/// let second = filter.observe(0)      // −log p(x_1 = 0 | x_0 = 1)
/// ```
public struct HiddenMarkovFilter: Sendable {
    public let model: HiddenMarkovModel
    /// P(s_t | x_0 … x_{t−1}) for the next token's hidden state `s_t`.
    public private(set) var prediction: [Double]
    /// The emission matrix by token, without its zeros: token `v`'s emitting states are
    /// `emitters[emitterStart[v] ..< emitterStart[v + 1]]` (ascending), with probabilities `emitterProbability`.
    private let emitterStart: [Int]
    private let emitters: [Int]
    private let emitterProbability: [Double]
    /// prediction[s] · p(token | s) for the observed token's emitters, before the prediction moves on.
    private var weights: [Double]

    /// A filter before any token, the first hidden state distributed as `model.initial`.
    public init(model: HiddenMarkovModel) {
        self.model = model
        prediction = model.initial
        var start = [0], states: [Int] = [], probabilities: [Double] = []
        for v in 0..<model.symbols {
            for s in 0..<model.states where model.emission[s * model.symbols + v] > 0 {
                states.append(s)
                probabilities.append(model.emission[s * model.symbols + v])
            }
            start.append(states.count)
        }
        emitterStart = start
        emitters = states
        emitterProbability = probabilities
        weights = [Double](repeating: 0, count: model.states)
    }

    /// Forgets the tokens observed: the next hidden state is distributed as `model.initial`.
    public mutating func reset() {
        prediction = model.initial
    }

    /// Forgets the tokens observed and takes the next hidden state to be `state` for certain.
    public mutating func reset(toState state: Int) {
        precondition(state >= 0 && state < model.states, "state \(state) is not in 0..<\(model.states)")
        for s in prediction.indices { prediction[s] = s == state ? 1 : 0 }
    }

    /// p(x_t = token | the tokens observed so far), without observing it.
    public func probability(of token: Int) -> Double {
        precondition(token >= 0 && token < model.symbols, "token \(token) is not in 0..<\(model.symbols)")
        var p = 0.0
        for e in emitterStart[token] ..< emitterStart[token + 1] { p += prediction[emitters[e]] * emitterProbability[e] }
        return p
    }

    /// Observes `token` and returns −log p(token | the tokens observed before it). A token of
    /// probability 0 returns +∞ and leaves the filter as it was (there is nothing to condition on).
    ///
    /// States that cannot emit the token are left out of both sums: their terms are exact zeros, and
    /// adding +0 to a non-negative sum changes no bit, so the result is that of the dense recursion
    /// while a step costs (states able to emit the token) × states instead of states².
    @discardableResult
    public mutating func observe(_ token: Int) -> Double {
        precondition(token >= 0 && token < model.symbols, "token \(token) is not in 0..<\(model.symbols)")
        let n = model.states
        let first = emitterStart[token], count = emitterStart[token + 1] - first
        var p = 0.0
        emitters.withUnsafeBufferPointer { emitters in
            emitterProbability.withUnsafeBufferPointer { probability in
                prediction.withUnsafeBufferPointer { prior in
                    weights.withUnsafeMutableBufferPointer { weights in
                        for e in 0..<count {
                            let w = prior[emitters[first &+ e]] * probability[first &+ e]
                            weights[e] = w
                            p += w
                        }
                    }
                }
            }
        }
        guard p > 0 else { return .infinity }
        model.transition.withUnsafeBufferPointer { transition in
            emitters.withUnsafeBufferPointer { emitters in
                weights.withUnsafeBufferPointer { weights in
                    prediction.withUnsafeMutableBufferPointer { next in
                        let next = next.baseAddress!
                        next.update(repeating: 0, count: n)
                        for e in 0..<count where weights[e] != 0 {
                            let w = weights[e] / p
                            let row = transition.baseAddress! + emitters[first &+ e] &* n
                            for j in 0..<n { next[j] += w * row[j] }
                        }
                    }
                }
            }
        }
        return -log(p)
    }
}
