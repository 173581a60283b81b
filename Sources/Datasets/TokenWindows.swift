/// A token data set for next-token prediction: window `i` is `context + 1` consecutive tokens of a
/// stretch of a token stream, the model's inputs its first `context` tokens and its targets the same
/// tokens shifted by one (target `j` is the token after input `j`).
///
/// Window `i` starts at token `i · context` of the stretch, so consecutive windows share one token
/// (the last target of one is the first input of the next) and every token of the stretch but the
/// first is a target exactly once; `count` is `(tokens − 1) / context`, a remainder shorter than a
/// window is left out. Windows are read by index in any order, as arrays or into a caller's buffers
/// without allocating.
///
/// ```swift
/// let windows = try TokenWindows(tokens: stream, context: 64)
/// let window = windows.window(0)                             // 65 tokens
/// var inputs = [Int32](repeating: 0, count: 64), targets = inputs
/// inputs.withUnsafeMutableBufferPointer { x in
///     targets.withUnsafeMutableBufferPointer { y in windows.copyWindow(5, inputs: x, targets: y) }
/// }
/// ```
public struct TokenWindows: Sendable, Equatable {
    /// The tokens of the stretch, window `i` being `tokens[i·context ... i·context + context]`.
    public let tokens: [Int32]
    /// Inputs per window (the targets are as many).
    public let context: Int
    /// The stream position of `tokens[0]`, for reports and for models of the stream (`bound`).
    public let firstPosition: Int

    public init(tokens: [Int32], context: Int, firstPosition: Int = 0) throws(DatasetError) {
        guard context >= 1 else {
            throw .invalidSequenceData("token windows need a context of at least 1 token (got \(context))")
        }
        guard tokens.count >= context + 1 else {
            throw .invalidSequenceData("\(tokens.count) tokens do not fill one window of \(context + 1) (context \(context) + 1)")
        }
        guard firstPosition >= 0 else {
            throw .invalidSequenceData("the first stream position must not be negative (got \(firstPosition))")
        }
        self.tokens = tokens
        self.context = context
        self.firstPosition = firstPosition
    }

    /// The number of windows.
    public var count: Int { (tokens.count - 1) / context }

    /// The number of targets in all windows, `count · context`.
    public var targetCount: Int { count * context }

    /// The offset in `tokens` of window `index`'s first token.
    public func start(ofWindow index: Int) -> Int {
        precondition(index >= 0 && index < count, "window \(index) is not in 0..<\(count)")
        return index * context
    }

    /// Window `index`'s `context + 1` tokens.
    public func window(_ index: Int) -> [Int32] {
        let start = start(ofWindow: index)
        return Array(tokens[start ... start + context])
    }

    /// Writes window `index`'s `context + 1` tokens into `buffer` (at least that long).
    public func copyWindow(_ index: Int, into buffer: UnsafeMutableBufferPointer<Int32>) {
        precondition(buffer.count >= context + 1, "a buffer of \(buffer.count) cannot hold a window of \(context + 1)")
        let start = start(ofWindow: index)
        tokens.withUnsafeBufferPointer { source in
            buffer.baseAddress!.update(from: source.baseAddress! + start, count: context + 1)
        }
    }

    /// Writes window `index`'s inputs (its first `context` tokens) and targets (its last `context`)
    /// into two buffers of at least `context` entries.
    public func copyWindow(_ index: Int, inputs: UnsafeMutableBufferPointer<Int32>,
                           targets: UnsafeMutableBufferPointer<Int32>) {
        precondition(inputs.count >= context && targets.count >= context,
                     "buffers of \(inputs.count) and \(targets.count) cannot hold a context of \(context)")
        let start = start(ofWindow: index)
        tokens.withUnsafeBufferPointer { source in
            inputs.baseAddress!.update(from: source.baseAddress! + start, count: context)
            targets.baseAddress!.update(from: source.baseAddress! + start + 1, count: context)
        }
    }
}

extension SyntheticLanguage {
    /// The windows of the stream's positions `range`.
    public func windows(context: Int, positions range: Range<Int>) throws(DatasetError) -> TokenWindows {
        guard range.lowerBound >= 0 else {
            throw .invalidSequenceData("stream positions start at 0 (got \(range.lowerBound))")
        }
        return try TokenWindows(tokens: tokens(range), context: context, firstPosition: range.lowerBound)
    }

    /// The validation windows (positions `0 ..< validationTokens`) and the training windows (the next
    /// `trainingTokens`): fixed stretches of the stream that share no token, the validation set the
    /// same whatever the training set's size, and a larger training set extending a smaller one.
    /// With `validationTokens = n·context + 1` there are exactly `n` validation windows.
    public func windows(context: Int, validationTokens: Int, trainingTokens: Int) throws(DatasetError)
        -> (training: TokenWindows, validation: TokenWindows) {
        guard validationTokens > 0, trainingTokens > 0 else {
            throw .invalidSequenceData("the training and validation stretches need tokens (got \(trainingTokens) and \(validationTokens))")
        }
        guard trainingTokens <= Int.max - validationTokens else {
            throw .invalidSequenceData("\(trainingTokens) training tokens after \(validationTokens) validation tokens are past the end of the stream")
        }
        let validation = try windows(context: context, positions: 0..<validationTokens)
        let training = try windows(context: context, positions: validationTokens ..< validationTokens + trainingTokens)
        return (training, validation)
    }
}
