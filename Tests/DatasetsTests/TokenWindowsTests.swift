import Testing
@testable import Datasets

@Suite struct TokenWindowsTests {
    @Test func windowsAreContextPlusOneTokensSharingOneAtEachEnd() throws {
        let stream = (0..<23).map { Int32($0) }
        let windows = try TokenWindows(tokens: stream, context: 5, firstPosition: 100)
        #expect(windows.count == 4 && windows.targetCount == 20)                 // (23 − 1) / 5; token 21, 22 left out
        #expect(windows.window(0) == [0, 1, 2, 3, 4, 5])
        #expect(windows.window(3) == [15, 16, 17, 18, 19, 20])
        var buffer = [Int32](repeating: -1, count: 7)
        buffer.withUnsafeMutableBufferPointer { windows.copyWindow(2, into: $0) }
        #expect(buffer == [10, 11, 12, 13, 14, 15, -1])
        var inputs = [Int32](repeating: -1, count: 5), targets = inputs
        inputs.withUnsafeMutableBufferPointer { x in
            targets.withUnsafeMutableBufferPointer { y in windows.copyWindow(1, inputs: x, targets: y) }
        }
        #expect(inputs == [5, 6, 7, 8, 9] && targets == [6, 7, 8, 9, 10])
    }

    @Test func theSplitsShareNoTokenAndTheValidationSetNeverMoves() throws {
        let language = try SyntheticLanguage(seed: 7)
        let (training, validation) = try language.windows(context: 16, validationTokens: 16 * 10 + 1, trainingTokens: 16 * 40 + 1)
        #expect(validation.count == 10 && training.count == 40)
        #expect(validation.firstPosition == 0 && training.firstPosition == 161)
        #expect(validation.tokens + training.tokens == language.tokens(0..<(161 + 641)))
        let (longer, sameValidation) = try language.windows(context: 16, validationTokens: 161, trainingTokens: 16 * 80 + 1)
        #expect(sameValidation == validation)
        #expect(Array(longer.tokens.prefix(training.tokens.count)) == training.tokens)
        #expect((0..<40).allSatisfy { longer.window($0) == training.window($0) })
    }

    @Test func theBoundIsTheFilterRunOverEachWindow() throws {
        let language = try SyntheticLanguage(seed: 5, states: 12, vocabulary: 16)
        let windows = try language.windows(context: 8, positions: 50..<(50 + 8 * 6 + 1))
        var filter = HiddenMarkovFilter(model: language.model)
        var total = 0.0
        for w in 0..<windows.count {
            filter.reset()
            let window = windows.window(w)
            filter.observe(Int(window[0]))
            for t in 1...8 { total += filter.observe(Int(window[t])) }
        }
        #expect(abs(try language.bound(windows: windows) - total / 48) < 1e-12)
    }

    @Test func badArgumentsAreRefusedWithOneLine() throws {
        func message(_ make: () throws(DatasetError) -> Any) -> String {
            do { _ = try make(); return "no error" } catch { return error.description }
        }
        let language = try SyntheticLanguage(seed: 1, states: 4, vocabulary: 8)
        #expect(message { () throws(DatasetError) in try TokenWindows(tokens: [1, 2, 3], context: 0) }
                == "token windows need a context of at least 1 token (got 0)")
        #expect(message { () throws(DatasetError) in try TokenWindows(tokens: [1, 2, 3], context: 3) }
                == "3 tokens do not fill one window of 4 (context 3 + 1)")
        #expect(message { () throws(DatasetError) in try language.windows(context: 0, validationTokens: 10, trainingTokens: 10) }
                == "token windows need a context of at least 1 token (got 0)")
        #expect(message { () throws(DatasetError) in try language.windows(context: 4, validationTokens: 0, trainingTokens: 10) }
                == "the training and validation stretches need tokens (got 10 and 0)")
        let foreign = try TokenWindows(tokens: [1, 2, 9, 3], context: 3, firstPosition: 40)
        #expect(message { () throws(DatasetError) in try language.bound(windows: foreign) }
                == "token 9 at stream position 42 is not in the vocabulary of 8")
    }
}
