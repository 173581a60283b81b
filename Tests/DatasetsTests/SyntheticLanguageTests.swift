import Foundation
import Testing
@testable import Datasets

@Suite struct SyntheticLanguageTests {
    static let language = try! SyntheticLanguage(seed: 7)

    @Test func theStreamIsTheSameWhateverTheChunkingAndOrder() {
        let language = Self.language
        let whole = language.tokens(0..<6_000)
        // One generator, chunks of uneven sizes.
        var generator = language.generator()
        var pieced: [Int32] = []
        var states: [Int32] = []
        for size in [1, 2, 997, 64, 3_000, 1_936] {
            var chunk = [Int32](repeating: -1, count: size), chunkStates = chunk
            chunk.withUnsafeMutableBufferPointer { t in
                chunkStates.withUnsafeMutableBufferPointer { s in generator.fill(t, states: s) }
            }
            pieced += chunk
            states += chunkStates
        }
        #expect(pieced == whole)
        // Separate generators ("workers"), each started at its own position, run in reverse order.
        let bounds = [0, 5, 700, 701, 2_048, 4_999, 6_000]
        var parts = [[Int32]](repeating: [], count: bounds.count - 1)
        for p in (0..<(bounds.count - 1)).reversed() { parts[p] = language.tokens(bounds[p]..<bounds[p + 1]) }
        #expect(parts.flatMap { $0 } == whole)
        // A generator made at a position continues the hidden chain of the one that got there.
        var late = language.generator(at: 4_321)
        let next = late.next()
        #expect(next.token == whole[4_321] && Int32(next.state) == states[4_321] && late.position == 4_322)
    }

    @Test func theSameSeedGivesTheSameLanguageInEveryRun() throws {
        let again = try SyntheticLanguage(seed: 7)
        #expect(again == Self.language)
        #expect(again.model.transition.map(\.bitPattern) == Self.language.model.transition.map(\.bitPattern))
        // Pinned: a change to the drawing or to the stream's keys shows here.
        #expect(Self.language.tokens(0..<20) == [2, 12, 30, 46, 14, 49, 14, 52, 10, 35, 17, 39, 58, 28, 42, 40, 39, 59, 2, 45])
        let other = try SyntheticLanguage(seed: 8)
        #expect(other.model != Self.language.model)
        #expect(other.tokens(0..<200) != Self.language.tokens(0..<200))
    }

    @Test func theModelHasTheDescribedStructure() {
        let language = Self.language, model = language.model, n = model.states, v = model.symbols
        #expect((n, v, language.successors, language.tokensPerState) == (64, 64, 3, 4))
        let floor = language.mixing / Double(n)
        for s in 0..<n {
            let row = model.transition[s * n ..< (s + 1) * n]
            #expect(row.allSatisfy { $0 >= floor * (1 - 1e-12) })
            #expect(row.filter { $0 > floor * (1 + 1e-9) }.count <= language.successors)
            #expect(model.emission[s * v ..< (s + 1) * v].filter { $0 > 0 }.count <= language.tokensPerState)
        }
        // Dealt from permutations: 64 × 4 emission slots over 64 tokens, each token in exactly 4 states.
        for token in 0..<v {
            #expect((0..<n).filter { model.emission[$0 * v + token] > 0 }.count == 4)
        }
        // The start law is stationary: π·A = π.
        for j in 0..<n {
            let moved = (0..<n).reduce(0.0) { $0 + model.initial[$1] * model.transition[$1 * n + j] }
            #expect(abs(moved - model.initial[j]) < 1e-15)
        }
    }

    @Test func theBoundLiesBetweenTheEntropyRateAndTheBigram() throws {
        let language = Self.language
        // The default validation set: 1,024 windows of context 64.
        let (_, validation) = try language.windows(context: 64, validationTokens: 65_537, trainingTokens: 65)
        let losses = try language.losses(windows: validation)
        let rate = language.entropyRate(tokens: 201_000)
        let bracket = language.entropyBracket(context: 8, samples: 500)
        // Measured: rate 2.0100 ± 0.0027, bound 2.0277, bigram 2.8842 (H(X_t | X_{t−1}) = 2.8829),
        // unigram 4.0157 (H(X_t) = 4.0176); bracket at 8 tokens 2.0106 both ends, at 2 tokens 2.014 / 2.135.
        // Eight tokens of context are as good as knowing the hidden state before them; two are not.
        #expect(abs(bracket.upper - bracket.lower) < 1e-6)
        let short = language.entropyBracket(context: 2, samples: 500)
        #expect(short.upper - short.lower > 0.05)
        #expect(rate.rate + 2 * rate.standardError < losses.bound)
        #expect(losses.bound < 0.8 * losses.bigram)
        #expect(abs(language.bigramEntropy - losses.bigram) < 0.05)
        #expect(losses.bigram < losses.unigram)
        #expect(abs(language.unigramEntropy - losses.unigram) < 0.05)
        // Target 0 is predicted from one token: the true model's loss there is the bigram's.
        let afterToken = language.predictionAfterOneToken()
        let firstTargets = (0..<validation.count).map { w in
            let window = validation.window(w)
            return -log(language.bigramProbability(of: Int(window[1]), after: Int(window[0]), predictions: afterToken))
        }
        #expect(abs(losses.boundByTarget[0] - firstTargets.reduce(0, +) / Double(validation.count)) < 1e-12)
    }

    @Test func theBigramAndUnigramEntropiesAreExact() throws {
        // Two states, three tokens: sum over (s0, s1, x0, x1) by hand.
        let language = try SyntheticLanguage(seed: 3, states: 2, vocabulary: 3, successors: 1, tokensPerState: 2, mixing: 0.3)
        let m = language.model
        var joint = [[Double]](repeating: [Double](repeating: 0, count: 3), count: 3)
        for s0 in 0..<2 { for s1 in 0..<2 { for a in 0..<3 { for b in 0..<3 {
            joint[a][b] += m.initial[s0] * m.emission[s0 * 3 + a] * m.transition[s0 * 2 + s1] * m.emission[s1 * 3 + b]
        } } } }
        var bigram = 0.0, unigram = 0.0
        for a in 0..<3 {
            let pa = joint[a].reduce(0, +)
            if pa > 0 { unigram -= pa * log(pa) }
            for b in 0..<3 where joint[a][b] > 0 { bigram -= joint[a][b] * log(joint[a][b] / pa) }
        }
        #expect(abs(language.bigramEntropy - bigram) < 1e-12)
        #expect(abs(language.unigramEntropy - unigram) < 1e-12)
    }

    @Test func badArgumentsAreRefusedWithOneLine() {
        func message(_ make: () throws(DatasetError) -> SyntheticLanguage) -> String {
            do { _ = try make(); return "no error" } catch { return error.description }
        }
        #expect(message { () throws(DatasetError) in try SyntheticLanguage(seed: 1, states: 0) }
                == "a synthetic language needs 1 to 1024 hidden states (got 0)")
        #expect(message { () throws(DatasetError) in try SyntheticLanguage(seed: 1, vocabulary: 1) }
                == "a synthetic language needs a vocabulary of 2 to 4096 tokens (got 1)")
        #expect(message { () throws(DatasetError) in try SyntheticLanguage(seed: 1, successors: 0) }
                == "successors must be between 1 and the 64 states (got 0)")
        #expect(message { () throws(DatasetError) in try SyntheticLanguage(seed: 1, vocabulary: 8, tokensPerState: 9) }
                == "tokens per state must be between 1 and the vocabulary of 8 (got 9)")
        #expect(message { () throws(DatasetError) in try SyntheticLanguage(seed: 1, mixing: 0) }
                == "mixing must be in (0, 1] (got 0.0): it keeps every state reachable from every other")
        #expect(message { () throws(DatasetError) in try SyntheticLanguage(seed: 1, mixing: .nan) }
                == "mixing must be in (0, 1] (got nan): it keeps every state reachable from every other")
    }
}
