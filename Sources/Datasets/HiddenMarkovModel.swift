/// A hidden Markov model: `states` hidden states that move by a transition matrix, each emitting one of
/// `symbols` tokens by its row of an emission matrix, the first state drawn from `initial`.
///
/// The matrices are stored row-major in Double: `transition[i * states + j]` is
/// P(s_{t+1} = j | s_t = i) and `emission[i * symbols + v]` is P(x_t = v | s_t = i). Without an
/// `initial` distribution the model starts from its stationary distribution, so that every position
/// of the process has the same law. `HiddenMarkovFilter` computes the probability of tokens given the
/// tokens before them (the forward algorithm); `SyntheticLanguage` draws a model from a seed.
///
/// ```swift
/// let model = try HiddenMarkovModel(transition: [[0.9, 0.1], [0.2, 0.8]],
///                                   emission: [[0.7, 0.3], [0.1, 0.9]])
/// model.initial                                      // [2/3, 1/3], the stationary distribution
/// ```
public struct HiddenMarkovModel: Sendable, Equatable {
    public let states: Int
    public let symbols: Int
    /// Row-major `states × states`: row `i` is the law of the next state after state `i`.
    public let transition: [Double]
    /// Row-major `states × symbols`: row `i` is the law of the token emitted in state `i`.
    public let emission: [Double]
    /// The law of the first hidden state.
    public let initial: [Double]

    /// A model from its rows. Every row, and `initial`, must be a probability distribution (entries
    /// finite and non-negative, sum 1 within 1e-9). Without `initial` the stationary distribution is
    /// used, which must be unique (every state reachable from every other).
    public init(transition: [[Double]], emission: [[Double]], initial: [Double]? = nil) throws(DatasetError) {
        guard !transition.isEmpty else {
            throw .invalidSequenceData("a hidden Markov model needs at least 1 state (got 0)")
        }
        guard emission.count == transition.count else {
            throw .invalidSequenceData("the emission matrix has \(Self.count(emission.count, "row")) for \(Self.count(transition.count, "state"))")
        }
        let symbols = emission[0].count
        guard symbols >= 1 else { throw .invalidSequenceData("a hidden Markov model needs at least 1 symbol (got 0)") }
        for (i, row) in transition.enumerated() where row.count != transition.count {
            throw .invalidSequenceData("row \(i) of the transition matrix has \(Self.count(row.count, "entry", "entries")) for \(Self.count(transition.count, "state"))")
        }
        for (i, row) in emission.enumerated() where row.count != symbols {
            throw .invalidSequenceData("row \(i) of the emission matrix has \(Self.count(row.count, "entry", "entries")), row 0 has \(symbols)")
        }
        if let initial, initial.count != transition.count {
            throw .invalidSequenceData("the initial distribution has \(Self.count(initial.count, "entry", "entries")) for \(Self.count(transition.count, "state"))")
        }
        try self.init(states: transition.count, symbols: symbols, transition: transition.flatMap { $0 },
                      emission: emission.flatMap { $0 }, initial: initial)
    }

    /// A model from row-major matrices whose sizes are already known to agree.
    init(states: Int, symbols: Int, transition: [Double], emission: [Double], initial: [Double]?) throws(DatasetError) {
        try Self.checkDistributions(transition, rows: states, name: "row", of: "the transition matrix")
        try Self.checkDistributions(emission, rows: states, name: "row", of: "the emission matrix")
        self.states = states
        self.symbols = symbols
        self.transition = transition
        self.emission = emission
        if let initial {
            try Self.checkDistributions(initial, rows: 1, name: "", of: "the initial distribution")
            self.initial = initial
        } else {
            guard let stationary = Self.stationaryDistribution(transition: transition, states: states) else {
                throw .invalidSequenceData("the transition matrix has no unique stationary distribution (some state cannot reach another): give the initial distribution")
            }
            self.initial = stationary
        }
    }

    /// P(x_t = v) at a position whose hidden state has law `initial`: `initial · emission`.
    public var tokenDistribution: [Double] {
        var q = [Double](repeating: 0, count: symbols)
        for s in 0..<states where initial[s] != 0 {
            for v in 0..<symbols { q[v] += initial[s] * emission[s * symbols + v] }
        }
        return q
    }

    /// "1 state", "2 states".
    static func count(_ n: Int, _ singular: String, _ plural: String? = nil) -> String {
        "\(n) \(n == 1 ? singular : plural ?? singular + "s")"
    }

    private static func checkDistributions(_ values: [Double], rows: Int, name: String, of what: String) throws(DatasetError) {
        let width = values.count / rows
        for r in 0..<rows {
            let row = values[r * width ..< (r + 1) * width]
            let label = name.isEmpty ? what : "\(name) \(r) of \(what)"
            if let bad = row.first(where: { !$0.isFinite || $0 < 0 }) {
                throw .invalidSequenceData("\(label) has the entry \(bad): probabilities are finite and non-negative")
            }
            let sum = row.reduce(0, +)
            guard abs(sum - 1) <= 1e-9 else {
                throw .invalidSequenceData("\(label) sums to \(sum), not 1")
            }
        }
    }

    /// The π with π·P = π and Σπ = 1, by Gaussian elimination with partial pivoting on (Pᵀ − I) with
    /// its last equation replaced by Σπ = 1; nil when that system is singular (π is not unique).
    static func stationaryDistribution(transition p: [Double], states n: Int) -> [Double]? {
        // a: n × (n + 1) augmented matrix, row r is equation r.
        var a = [Double](repeating: 0, count: n * (n + 1))
        for r in 0..<(n - 1) {
            for c in 0..<n { a[r * (n + 1) + c] = p[c * n + r] - (r == c ? 1 : 0) }
        }
        for c in 0...n { a[(n - 1) * (n + 1) + c] = 1 }
        for col in 0..<n {
            var pivot = col
            for r in (col + 1)..<n where abs(a[r * (n + 1) + col]) > abs(a[pivot * (n + 1) + col]) { pivot = r }
            guard abs(a[pivot * (n + 1) + col]) > 1e-12 else { return nil }
            if pivot != col {
                for c in 0...n { a.swapAt(pivot * (n + 1) + c, col * (n + 1) + c) }
            }
            let diagonal = a[col * (n + 1) + col]
            for r in (col + 1)..<n {
                let factor = a[r * (n + 1) + col] / diagonal
                if factor == 0 { continue }
                for c in col...n { a[r * (n + 1) + c] -= factor * a[col * (n + 1) + c] }
            }
        }
        var pi = [Double](repeating: 0, count: n)
        for r in stride(from: n - 1, through: 0, by: -1) {
            var value = a[r * (n + 1) + n]
            for c in (r + 1)..<n { value -= a[r * (n + 1) + c] * pi[c] }
            pi[r] = value / a[r * (n + 1) + r]
        }
        // Rounding can leave tiny negative entries; clamp and renormalise so that π is a distribution.
        for i in 0..<n { pi[i] = max(pi[i], 0) }
        let sum = pi.reduce(0, +)
        guard sum > 0, sum.isFinite else { return nil }
        return pi.map { $0 / sum }
    }
}
