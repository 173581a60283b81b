extension SyntheticLanguage {
    /// An estimate of the language's entropy rate H = lim H(X_t | X_0 … X_{t−1}), in nats per token:
    /// the loss of the true model given the whole past, the floor for any context length.
    ///
    /// The entropy rate of a hidden Markov process has no closed form; `entropyRate` measures it along
    /// the stream, and `entropyBracket` brackets it between two conditional entropies (Cover & Thomas,
    /// "Elements of Information Theory", theorem 4.5.1):
    /// H(X_t | X_{t−k} … X_{t−1}, S_{t−k}) ≤ H ≤ H(X_t | X_{t−k} … X_{t−1}).
    ///
    /// ```swift
    /// let rate = language.entropyRate(tokens: 1_000_000)       // rate ± standardError
    /// let bracket = language.entropyBracket(context: 64, samples: 20_000)
    /// (bracket.lower, bracket.upper)                           // the rate lies between, up to sampling error
    /// ```
    public struct EntropyRateEstimate: Sendable, Equatable {
        /// Mean of −log p(x_t | x_0 … x_{t−1}) over the stream's positions `burnIn ..< tokens`.
        public let rate: Double
        /// The standard error of `rate`, from the spread of the means of 100 consecutive batches.
        public let standardError: Double
        /// Positions averaged over.
        public let positions: Int
    }

    /// Cover & Thomas's bracket at context `k`, both ends estimated on the same sampled targets.
    public struct EntropyBracket: Sendable, Equatable {
        public let context: Int
        /// Mean of −log p(x_t | x_{t−k} … x_{t−1}, s_{t−k}): the true hidden state at the context's
        /// start is known. Below the entropy rate in expectation.
        public let lower: Double
        /// Mean of −log p(x_t | x_{t−k} … x_{t−1}). Above the entropy rate in expectation.
        public let upper: Double
        /// The larger of the two means' standard errors; `upper − lower` is exact to much less, its
        /// terms being paired.
        public let standardError: Double
        public let samples: Int
    }

    /// The mean of −log p(x_t | x_0 … x_{t−1}) along one forward filter over the stream's first
    /// `tokens` positions, skipping the first `burnIn` (where the past is short). By the
    /// Shannon–McMillan–Breiman theorem it converges to the entropy rate, from above in expectation:
    /// each term's expectation H(X_t | X_0 … X_{t−1}) decreases to it. Work: one filter step a token.
    public func entropyRate(tokens: Int, burnIn: Int = 1_000) -> EntropyRateEstimate {
        precondition(burnIn >= 0 && tokens >= burnIn + 100, "entropyRate needs at least 100 positions after the burn-in")
        var generator = Generator(language: self)
        var filter = HiddenMarkovFilter(model: model)
        for _ in 0..<burnIn { filter.observe(Int(generator.next().token)) }
        let positions = tokens - burnIn, batches = 100
        var batchMeans = [Double](repeating: 0, count: batches)
        var total = 0.0
        for b in 0..<batches {
            let length = positions / batches + (b < positions % batches ? 1 : 0)
            var sum = 0.0
            for _ in 0..<length { sum += filter.observe(Int(generator.next().token)) }
            total += sum
            batchMeans[b] = sum / Double(length)
        }
        let rate = total / Double(positions)
        return EntropyRateEstimate(rate: rate, standardError: Self.standardError(of: batchMeans),
                                   positions: positions)
    }

    /// Cover & Thomas's bracket at context `k` = `context`: `samples` targets, target `i` at position
    /// `firstPosition + i·(k + 1) + k` with the `k` tokens before it (disjoint stretches of the
    /// stream), each predicted by a filter started from the stationary distribution (upper end) and
    /// from the true hidden state of the stretch's first token (lower end). Work: 2(k + 1) filter
    /// steps a sample. As `k` grows the two ends meet at the rate; their gap shows how much a longer
    /// context than `k` could still help.
    public func entropyBracket(context: Int, samples: Int, firstPosition: Int = 0) -> EntropyBracket {
        precondition(context >= 1 && samples >= 2 && firstPosition >= 0,
                     "entropyBracket needs a context of at least 1 and at least 2 samples")
        var generator = Generator(language: self, position: firstPosition)
        var filter = HiddenMarkovFilter(model: model)
        var tokens = [Int32](repeating: 0, count: context + 1), states = tokens
        var lower = [Double](repeating: 0, count: samples), upper = lower
        for i in 0..<samples {
            tokens.withUnsafeMutableBufferPointer { t in
                states.withUnsafeMutableBufferPointer { s in generator.fill(t, states: s) }
            }
            filter.reset()
            for t in 0..<context { filter.observe(Int(tokens[t])) }
            upper[i] = filter.observe(Int(tokens[context]))
            filter.reset(toState: Int(states[0]))
            for t in 0..<context { filter.observe(Int(tokens[t])) }
            lower[i] = filter.observe(Int(tokens[context]))
        }
        let n = Double(samples)
        return EntropyBracket(context: context, lower: lower.reduce(0, +) / n, upper: upper.reduce(0, +) / n,
                              standardError: max(Self.standardError(of: lower), Self.standardError(of: upper)),
                              samples: samples)
    }

    /// The standard error of the mean of `values`: sample standard deviation / √count.
    static func standardError(of values: [Double]) -> Double {
        let n = Double(values.count)
        let mean = values.reduce(0, +) / n
        let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / (n - 1)
        return (variance / n).squareRoot()
    }
}
