#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension SyntheticLanguage {
    /// Mean next-token losses (nats per target) on a set of windows, all over the same targets: the
    /// true model's (the bound no model can beat on average), and those of the best bigram and unigram
    /// predictors of the language (the true p(x_t | x_{t−1}) and p(x_t)).
    ///
    /// ```swift
    /// let losses = try language.losses(windows: validation)
    /// (losses.bound, losses.bigram, losses.unigram)          // (2.03, 2.88, 4.02) for seed 7's defaults
    /// losses.boundByTarget[0]                                // target 0 sees one token: the bigram's loss
    /// ```
    public struct WindowLosses: Sendable, Equatable {
        /// Mean of −log p(x_t | the window's tokens before t) under the true model, the hidden state
        /// at the window's first token distributed as the stationary distribution.
        public let bound: Double
        /// Mean of −log p(x_t | x_{t−1}) under the true model.
        public let bigram: Double
        /// Mean of −log p(x_t) under the true model.
        public let unigram: Double
        /// The bound's mean over the windows for each target `j` (predicted from `j + 1` tokens).
        public let boundByTarget: [Double]
        /// Targets averaged over: windows × context.
        public let targets: Int
    }

    /// The Bayes-optimal loss on `windows`: the mean over every target of every window of
    /// −log p(x_t | the window's tokens before t), the loss of the true model on exactly those targets,
    /// so that a model's validation loss on the same windows compares with it without sampling error.
    /// Each window is filtered from the stationary distribution (`HiddenMarkovFilter`), as a model that
    /// sees only the window must start.
    public func bound(windows: TokenWindows) throws(DatasetError) -> Double {
        try checkVocabulary(of: windows)
        return boundSums(windows).total / Double(windows.targetCount)
    }

    /// The bound, the bigram and unigram losses on `windows` (`WindowLosses`). Throws when a token is
    /// not in the vocabulary.
    public func losses(windows: TokenWindows) throws(DatasetError) -> WindowLosses {
        try checkVocabulary(of: windows)
        let (bound, byTarget) = boundSums(windows)
        let unigram = model.tokenDistribution
        let afterToken = predictionAfterOneToken()
        var bigram = 0.0, unigramTotal = 0.0
        for w in 0..<windows.count {
            let start = windows.start(ofWindow: w)
            var windowBigram = 0.0, windowUnigram = 0.0
            for t in (start + 1) ... (start + windows.context) {
                let token = Int(windows.tokens[t]), previous = Int(windows.tokens[t - 1])
                windowBigram -= log(bigramProbability(of: token, after: previous, predictions: afterToken))
                windowUnigram -= log(unigram[token])
            }
            bigram += windowBigram
            unigramTotal += windowUnigram
        }
        let n = Double(windows.targetCount)
        return WindowLosses(bound: bound / n, bigram: bigram / n, unigram: unigramTotal / n,
                            boundByTarget: byTarget.map { $0 / Double(windows.count) }, targets: windows.targetCount)
    }

    private func checkVocabulary(of windows: TokenWindows) throws(DatasetError) {
        if let bad = windows.tokens.firstIndex(where: { $0 < 0 || Int($0) >= vocabulary }) {
            throw .invalidSequenceData("token \(windows.tokens[bad]) at stream position \(windows.firstPosition + bad) is not in the vocabulary of \(vocabulary)")
        }
    }

    /// The sum over windows (each summed first) of the true model's losses, and its sum by target.
    private func boundSums(_ windows: TokenWindows) -> (total: Double, byTarget: [Double]) {
        var filter = HiddenMarkovFilter(model: model)
        var byTarget = [Double](repeating: 0, count: windows.context)
        var total = 0.0
        for w in 0..<windows.count {
            let start = windows.start(ofWindow: w)
            filter.reset()
            filter.observe(Int(windows.tokens[start]))
            var windowTotal = 0.0
            for j in 0..<windows.context {
                let loss = filter.observe(Int(windows.tokens[start + 1 + j]))
                byTarget[j] += loss
                windowTotal += loss
            }
            total += windowTotal
        }
        return (total, byTarget)
    }

    /// H(X_t) in nats: the expected loss of the best unigram model.
    public var unigramEntropy: Double {
        model.tokenDistribution.reduce(0) { $1 > 0 ? $0 - $1 * log($1) : $0 }
    }

    /// H(X_t | X_{t−1}) in nats, exactly (a sum over all token pairs, states × vocabulary² operations):
    /// the expected loss of the best bigram model.
    public var bigramEntropy: Double {
        let q = model.tokenDistribution
        let afterToken = predictionAfterOneToken()
        var entropy = 0.0
        for a in 0..<vocabulary where q[a] > 0 {
            var h = 0.0
            for b in 0..<vocabulary {
                let p = bigramProbability(of: b, after: a, predictions: afterToken)
                if p > 0 { h -= p * log(p) }
            }
            entropy += q[a] * h
        }
        return entropy
    }

    /// Row `a` (states entries): P(s_t | x_{t−1} = a), the law of the hidden state after one token `a`
    /// from the stationary distribution. Rows of tokens no state emits are zero.
    func predictionAfterOneToken() -> [Double] {
        var table = [Double](repeating: 0, count: vocabulary * states)
        var filter = HiddenMarkovFilter(model: model)
        for a in 0..<vocabulary {
            filter.reset()
            guard filter.observe(a).isFinite else { continue }
            for s in 0..<states { table[a * states + s] = filter.prediction[s] }
        }
        return table
    }

    func bigramProbability(of token: Int, after previous: Int, predictions: [Double]) -> Double {
        var p = 0.0
        for s in 0..<states {
            p += predictions[previous * states + s] * model.emission[s * vocabulary + token]
        }
        return p
    }
}
