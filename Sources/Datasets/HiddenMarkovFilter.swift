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
    private var posterior: [Double]

    /// A filter before any token, the first hidden state distributed as `model.initial`.
    public init(model: HiddenMarkovModel) {
        self.model = model
        prediction = model.initial
        posterior = [Double](repeating: 0, count: model.states)
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
        for s in 0..<model.states { p += prediction[s] * model.emission[s * model.symbols + token] }
        return p
    }

    /// Observes `token` and returns −log p(token | the tokens observed before it). A token of
    /// probability 0 returns +∞ and leaves the filter as it was (there is nothing to condition on).
    @discardableResult
    public mutating func observe(_ token: Int) -> Double {
        let n = model.states, symbols = model.symbols
        precondition(token >= 0 && token < symbols, "token \(token) is not in 0..<\(symbols)")
        var p = 0.0
        model.emission.withUnsafeBufferPointer { emission in
            prediction.withUnsafeBufferPointer { prior in
                posterior.withUnsafeMutableBufferPointer { post in
                    for s in 0..<n {
                        let w = prior[s] * emission[s &* symbols &+ token]
                        post[s] = w
                        p += w
                    }
                }
            }
        }
        guard p > 0 else { return .infinity }
        model.transition.withUnsafeBufferPointer { transition in
            posterior.withUnsafeBufferPointer { post in
                prediction.withUnsafeMutableBufferPointer { next in
                    let next = next.baseAddress!
                    next.update(repeating: 0, count: n)
                    // Rows of states the token rules out add exact zeros: skipping them changes no bit
                    // (every term is non-negative) and makes a step cost (states able to emit it) × n.
                    for s in 0..<n where post[s] != 0 {
                        let w = post[s] / p
                        let row = transition.baseAddress! + s &* n
                        for j in 0..<n { next[j] += w * row[j] }
                    }
                }
            }
        }
        return -log(p)
    }
}
