import TensorCore

extension SyntheticLanguage {
    /// The language's token stream from some position on: one Markov chain whose first hidden state is
    /// drawn from the stationary distribution, each step's draws a pure function of (seed, position).
    ///
    /// Position `t` takes Philox block `t mod 2³²` of `RandomKey(seed, .syntheticLanguage, a: 4,
    /// b: t >> 32)`: its first uniform double picks the hidden state `s_t` (from the stationary
    /// distribution at t = 0, else from row `s_{t−1}` of the transitions), its second the token from
    /// row `s_t` of the emissions, each by the first cumulative sum it is below. Only the hidden chain
    /// is sequential; a generator made at position `p` runs it from 0 to `p` (about 40 ns a token, no
    /// tokens drawn), so any chunking of the stream, in any order, by any number of workers, gives the
    /// same tokens.
    ///
    /// ```swift
    /// var generator = language.generator(at: 1_000_000)
    /// let (state, token) = generator.next()              // position 1,000,000
    /// var chunk = [Int32](repeating: 0, count: 4_096)
    /// chunk.withUnsafeMutableBufferPointer { generator.fill($0) }   // positions 1,000,001 …
    /// ```
    public struct Generator: Sendable {
        public let language: SyntheticLanguage
        /// The position of the next token.
        public private(set) var position: Int
        /// The hidden state of the token at `position − 1` (−1 at position 0).
        public private(set) var state: Int
        private let key: RandomKey

        /// A generator whose next token is the one at `position`.
        public init(language: SyntheticLanguage, position: Int = 0) {
            precondition(position >= 0, "a stream position is not negative (got \(position))")
            self.language = language
            self.position = 0
            self.state = -1
            key = RandomKey(seed: language.seed, stream: .syntheticLanguage, a: 4)
            while self.position < position {
                state = nextState(stateDraw(at: self.position))
                self.position += 1
            }
        }

        /// The hidden state and the token at `position`; moves to the next position.
        public mutating func next() -> (state: Int, token: Int32) {
            state = nextState(stateDraw(at: position))
            let draw = key.with(b: UInt32(truncatingIfNeeded: position >> 32))
                .uniformDouble(at: 2 * UInt64(position & 0xFFFF_FFFF) + 1)
            let token = language.emissionCumulative.withUnsafeBufferPointer {
                SyntheticLanguage.pick(draw, in: $0, row: state, width: language.vocabulary)
            }
            position += 1
            return (state, Int32(token))
        }

        /// Writes the next `tokens.count` tokens into `tokens`, and their hidden states into `states`
        /// when given (of the same length).
        public mutating func fill(_ tokens: UnsafeMutableBufferPointer<Int32>,
                                  states: UnsafeMutableBufferPointer<Int32>? = nil) {
            precondition(states == nil || states!.count == tokens.count, "states and tokens differ in length")
            for i in 0..<tokens.count {
                let (s, token) = next()
                tokens[i] = token
                states?[i] = Int32(s)
            }
        }

        private func stateDraw(at t: Int) -> Double {
            key.with(b: UInt32(truncatingIfNeeded: t >> 32)).uniformDouble(at: 2 * UInt64(t & 0xFFFF_FFFF))
        }

        private func nextState(_ draw: Double) -> Int {
            if state < 0 {
                return language.initialCumulative.withUnsafeBufferPointer {
                    SyntheticLanguage.pick(draw, in: $0, row: 0, width: language.states)
                }
            }
            return language.transitionCumulative.withUnsafeBufferPointer {
                SyntheticLanguage.pick(draw, in: $0, row: state, width: language.states)
            }
        }
    }

    /// A generator whose next token is the one at `position`.
    public func generator(at position: Int = 0) -> Generator {
        Generator(language: self, position: position)
    }

    /// The tokens at positions `range` of the stream.
    public func tokens(_ range: Range<Int>) -> [Int32] {
        var generator = Generator(language: self, position: range.lowerBound)
        return [Int32](unsafeUninitializedCapacity: range.count) { buffer, initialized in
            generator.fill(UnsafeMutableBufferPointer(rebasing: buffer[0..<range.count]))
            initialized = range.count
        }
    }

    /// The index in `row` of the first cumulative sum above `u` (binary search; the row's sums ascend
    /// and end in +∞).
    static func pick(_ u: Double, in cumulative: UnsafeBufferPointer<Double>, row: Int, width: Int) -> Int {
        var low = row * width, high = low + width - 1
        while low < high {
            let middle = (low + high) / 2
            if u < cumulative[middle] { high = middle } else { low = middle + 1 }
        }
        return low - row * width
    }
}
