#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import TensorCore

/// A synthetic language with a known best achievable loss: a hidden Markov model drawn from a seed,
/// whose token stream a language model can be trained on and whose Bayes-optimal next-token loss on
/// any windows of that stream can be computed exactly (`bound(windows:)`), the way `SyntheticClinical`
/// has a known Bayes-optimal AUC.
///
/// The model is sparse and peaked, so that it has structure to learn: each hidden state moves to one
/// of `successors` states (dealt from permutations of the states, so every state is also entered
/// from about `successors` states) with weights drawn uniformly from the simplex, except that with
/// probability `mixing` it jumps to a uniformly random state (which keeps every state reachable, so
/// the chain has one stationary distribution and forgets its past); each state emits one of
/// `tokensPerState` tokens (dealt likewise, so each token is emitted by about
/// states × tokensPerState / vocabulary states), with weights uniform on the simplex. A token is
/// ambiguous about the state that emitted it, so the tokens before it say more than the last one
/// alone: the default language's best loss is well below what any bigram model can reach
/// (docs/datasets.md has the numbers).
///
/// Every random draw is Philox keyed `(seed, stream: .syntheticLanguage, a, b)`: the model's rows by
/// `a` 0…3 and `b` = permutation or row, token `t` of the stream by `a: 4, b: t >> 32` at block
/// `t mod 2³²`. The stream (`Generator`, `tokens(_:)`) is one Markov chain started from the stationary
/// distribution, a pure function of the seed and the position.
///
/// ```swift
/// let language = try SyntheticLanguage(seed: 7)                  // 64 states, 64 tokens
/// let tokens = language.tokens(0..<1_000)                        // [Int32], the stream's first 1,000
/// let (training, validation) = try language.windows(context: 64, validationTokens: 65_537,
///                                                    trainingTokens: 4_194_305)
/// let bound = try language.bound(windows: validation)            // nats per token, ≈ 2.0
/// ```
public struct SyntheticLanguage: Sendable, Equatable {
    public static let defaultStates = 64
    public static let defaultVocabulary = 64
    public static let defaultSuccessors = 3
    public static let defaultTokensPerState = 4
    public static let defaultMixing = 0.01

    /// The largest sizes accepted: the filter's work per token grows with states², the tables with
    /// states × vocabulary.
    public static let maximumStates = 1_024
    public static let maximumVocabulary = 4_096

    public let seed: UInt64
    public let states: Int
    public let vocabulary: Int
    public let successors: Int
    public let tokensPerState: Int
    public let mixing: Double
    /// The model, starting from its stationary distribution (`model.initial`).
    public let model: HiddenMarkovModel

    /// Row-wise cumulative sums of the transition and emission rows and of the stationary
    /// distribution, +∞ from each row's last positive entry on (so that a draw never lands on a token
    /// or state of probability 0, whatever the rounding of the sums).
    let transitionCumulative: [Double]
    let emissionCumulative: [Double]
    let initialCumulative: [Double]

    public init(seed: UInt64, states: Int = defaultStates, vocabulary: Int = defaultVocabulary,
                successors: Int = defaultSuccessors, tokensPerState: Int = defaultTokensPerState,
                mixing: Double = defaultMixing) throws(DatasetError) {
        guard states >= 1, states <= Self.maximumStates else {
            throw .invalidSequenceData("a synthetic language needs 1 to \(Self.maximumStates) hidden states (got \(states))")
        }
        guard vocabulary >= 2, vocabulary <= Self.maximumVocabulary else {
            throw .invalidSequenceData("a synthetic language needs a vocabulary of 2 to \(Self.maximumVocabulary) tokens (got \(vocabulary))")
        }
        guard successors >= 1, successors <= states else {
            throw .invalidSequenceData("successors must be between 1 and the \(states) states (got \(successors))")
        }
        guard tokensPerState >= 1, tokensPerState <= vocabulary else {
            throw .invalidSequenceData("tokens per state must be between 1 and the vocabulary of \(vocabulary) (got \(tokensPerState))")
        }
        guard mixing > 0, mixing <= 1 else {
            throw .invalidSequenceData("mixing must be in (0, 1] (got \(mixing)): it keeps every state reachable from every other")
        }
        self.seed = seed
        self.states = states
        self.vocabulary = vocabulary
        self.successors = successors
        self.tokensPerState = tokensPerState
        self.mixing = mixing

        let key = RandomKey(seed: seed, stream: .syntheticLanguage)
        let sparse = Self.sparseRows(rows: states, columns: states, perRow: successors,
                                     dealKey: key.with(a: 0), weightKey: key.with(a: 1))
        let transition = sparse.map { (1 - mixing) * $0 + mixing / Double(states) }
        let emission = Self.sparseRows(rows: states, columns: vocabulary, perRow: tokensPerState,
                                       dealKey: key.with(a: 2), weightKey: key.with(a: 3))
        do {
            model = try HiddenMarkovModel(states: states, symbols: vocabulary, transition: transition,
                                          emission: emission, initial: nil)
        } catch {
            // Every transition entry is at least mixing / states > 0, so the chain is irreducible.
            preconditionFailure("a drawn synthetic language is not a valid model: \(error)")
        }
        transitionCumulative = Self.cumulativeRows(model.transition, width: states)
        emissionCumulative = Self.cumulativeRows(model.emission, width: vocabulary)
        initialCumulative = Self.cumulativeRows(model.initial, width: states)
    }

    /// `rows` rows of `columns` entries, row `r` holding `perRow` entries dealt from the concatenation
    /// of permutations of `0..<columns` (permutation `j` keyed `dealKey.with(b: j)`; row `r` takes
    /// entries `r·perRow ..< (r + 1)·perRow`), weighted by exponential draws `−log(1 − u)` of
    /// `weightKey.with(b: r)` and normalised (a Dirichlet(1, …, 1) row). A column dealt twice to one
    /// row (across a permutation boundary) gets both weights.
    static func sparseRows(rows: Int, columns: Int, perRow: Int, dealKey: RandomKey, weightKey: RandomKey) -> [Double] {
        var dealt: [Int] = []
        dealt.reserveCapacity(rows * perRow + columns)
        var permutation: UInt32 = 0
        while dealt.count < rows * perRow {
            dealt += counterBasedPermutation(count: columns, key: dealKey.with(b: permutation))
            permutation += 1
        }
        var matrix = [Double](repeating: 0, count: rows * columns)
        for r in 0..<rows {
            let key = weightKey.with(b: UInt32(r))
            let weights = (0..<perRow).map { -log(1 - key.uniformDouble(at: UInt64($0))) }
            let sum = weights.reduce(0, +)
            for j in 0..<perRow {
                // All draws 0 (probability 2^-53 per draw) would leave nothing to normalise: equal weights.
                matrix[r * columns + dealt[r * perRow + j]] += sum > 0 ? weights[j] / sum : 1 / Double(perRow)
            }
        }
        return matrix
    }

    static func cumulativeRows(_ values: [Double], width: Int) -> [Double] {
        var cumulative = [Double](repeating: 0, count: values.count)
        for start in stride(from: 0, to: values.count, by: width) {
            var sum = 0.0
            var last = start
            for c in start..<(start + width) {
                sum += values[c]
                cumulative[c] = sum
                if values[c] > 0 { last = c }
            }
            for c in last..<(start + width) { cumulative[c] = .infinity }
        }
        return cumulative
    }
}
