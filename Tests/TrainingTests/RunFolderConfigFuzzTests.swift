import Foundation
import Testing
@testable import Config
@testable import Training

/// Issue 23: mutations, fixed seed, of a real run folder's `config.yaml` — written as JSON, which is
/// YAML too, so that `JSONMutator` edits one value of the tree — each read by `RunFolder.load` and
/// used by `predict` and `eval --run`. Property: a one-line refusal or the original predictions and
/// validation loss, bit for bit; never a trap, a hang or another answer.
@Suite("Fuzz: mutated config.yaml of a run folder", .serialized)
struct RunFolderConfigFuzzTests {
    @Test("1,200 config.yaml files (1,176 mutated): refused in one line, or the original predictions and loss")
    func mutatedConfig() throws {
        let f = RunFolderFuzzTests.fixture
        let path = f.out + "/config.yaml", original = FileManager.default.contents(atPath: path)!
        defer { try? original.write(to: URL(fileURLWithPath: path)) }
        let config = try RunFolder.load(f.out).config
        let json = try JSONEncoder().encode(config.canonical)
        try json.write(to: URL(fileURLWithPath: path))
        #expect(try RunFolder.load(f.out).config.configDigest == config.configDigest, "the JSON form is not the same config")
        var random = SplitMix64(seed: RunFolderFuzzTests.seed ^ 0xC0F1)
        var loaded = 0, predicted = 0, evaluated = 0
        for iteration in 0..<RunFolderFuzzTests.iterations {
            let (kind, bytes) = iteration % 50 == 49 ? ("unchanged", json) : JSONMutator.mutate(json, using: &random)
            try bytes.write(to: URL(fileURLWithPath: path))
            let label = "iteration \(iteration) (\(kind))"
            let folder: RunFolder
            do { folder = try RunFolder.load(f.out) } catch {
                RunFolderFuzzTests.checkRefusal(error, label)
                continue
            }
            loaded += 1
            let output = f.dir + "/config-mutated.csv"
            do {
                _ = try Predictor(folder: folder, weights: f.weights).predict(input: f.input, output: output, idColumn: "patient_id")
                #expect(FileManager.default.contents(atPath: output) == f.predictions, "\(label): accepted with other predictions")
                predicted += 1
            } catch {
                RunFolderFuzzTests.checkRefusal(error, label)
            }
            do {
                let model = try SavedWeights.load(f.weights, config: folder.config)
                let loss = try Evaluator(loss: folder.config.loss).evaluate(model, on: folder.validationSet()).loss
                #expect(loss.bitPattern == f.validationLoss.bitPattern, "\(label): accepted with another validation loss")
                evaluated += 1
            } catch {
                RunFolderFuzzTests.checkRefusal(error, label)
            }
        }
        print("config.yaml fuzz: \(RunFolderFuzzTests.iterations) files, \(loaded) loaded, \(predicted) predicted, \(evaluated) evaluated")
        #expect(predicted >= RunFolderFuzzTests.iterations / 50 && evaluated >= RunFolderFuzzTests.iterations / 50)
    }
}
