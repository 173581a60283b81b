import Foundation
import Testing
import Config
@testable import Training

/// Issue 23: mutations, fixed seed, of a real run folder's `preprocessing.json` and `data.json`,
/// each read through the code paths that use it. Property: a thrown error of one line, or exactly
/// the original result — predictions byte for byte, validation loss bit for bit — never a trap
/// (which ends the test process), a hang or a different answer.
@Suite("Fuzz: mutated preprocessing.json and data.json of a run folder", .serialized)
struct RunFolderFuzzTests {
    static let iterations = 1_200
    static let seed: UInt64 = 0x23F0_1DE2_2026_1206

    struct Fixture {
        let dir: String, out: String, input: String, weights: String
        let predictions: Data
        let validationLoss: Double
    }

    static let fixture: Fixture = {
        let dir = try! TT.temporaryDirectory("folder-fuzz")
        let (_, _, out) = try! PatientsCSV.train(in: dir, steps: 6)
        let input = dir + "/new.csv"
        try! TT.write(PatientsCSV.file(900, 40, withLabel: false), to: input)
        let folder = try! RunFolder.load(out)
        let weights = out + "/model.safetensors"
        _ = try! Predictor(folder: folder, weights: weights).predict(input: input, output: dir + "/original.csv", idColumn: "patient_id")
        let model = try! SavedWeights.load(weights, config: folder.config)
        let loss = try! Evaluator(loss: folder.config.loss).evaluate(model, on: folder.validationSet()).loss
        return Fixture(dir: dir, out: out, input: input, weights: weights,
                       predictions: FileManager.default.contents(atPath: dir + "/original.csv")!, validationLoss: loss)
    }()

    /// `error` is one line (and so printable as the CLI's one-line error).
    static func checkRefusal(_ error: Error, _ label: String) {
        let message = String(describing: error)
        #expect(!message.contains { $0.isNewline }, "\(label): not one line: \(message)")
        #expect(!message.isEmpty, "\(label): empty message")
    }

    @Test("1,200 preprocessing.json files (1,176 mutated): refused in one line, or the original predictions")
    func mutatedPreprocessing() throws {
        let f = Self.fixture
        let path = f.out + "/preprocessing.json", original = FileManager.default.contents(atPath: path)!
        defer { try? original.write(to: URL(fileURLWithPath: path)) }
        let digest = RunFolder.sha256([UInt8](original))
        var random = SplitMix64(seed: Self.seed)
        var loaded = 0, rescored = 0, same = 0
        var outcomes: [String: (refused: Int, loaded: Int)] = [:]
        for iteration in 0..<Self.iterations {
            // Every 50th file is left as it was: the path that accepts must still accept.
            let (kind, bytes) = iteration % 50 == 49 ? ("unchanged", original) : JSONMutator.mutate(original, using: &random)
            try bytes.write(to: URL(fileURLWithPath: path))
            let label = "iteration \(iteration) (\(kind))"
            let folder: RunFolder
            do {
                folder = try RunFolder.load(f.out)
            } catch {
                Self.checkRefusal(error, label)
                outcomes[kind, default: (0, 0)].refused += 1
                continue
            }
            loaded += 1
            outcomes[kind, default: (0, 0)].loaded += 1
            // As a user runs it: the weights' digest must match, or the predictions are the original ones.
            let output = f.dir + "/mutated.csv"
            do {
                _ = try Predictor(folder: folder, weights: f.weights).predict(input: f.input, output: output, idColumn: "patient_id")
                #expect(FileManager.default.contents(atPath: output) == f.predictions, "\(label): accepted with other predictions")
                same += 1
            } catch {
                Self.checkRefusal(error, label)
            }
            // As if the weights had been re-signed for this file: whatever passed the checks must
            // score every row with finite numbers, or refuse in one line.
            let resigned = RunFolder(path: folder.path, config: folder.config, preprocessing: folder.preprocessing,
                                     preprocessingSHA256: digest, data: folder.data, dataProblem: folder.dataProblem)
            do {
                try? FileManager.default.removeItem(atPath: output)
                let report = try Predictor(folder: resigned, weights: f.weights).predict(input: f.input, output: output, idColumn: "patient_id")
                let lines = try String(contentsOfFile: output, encoding: .utf8).split(separator: "\n")
                #expect(lines.count == report.rows + 1, "\(label): \(lines.count) lines for \(report.rows) rows")
                for line in lines.dropFirst() {
                    #expect(line.split(separator: ",").dropFirst().allSatisfy { Double($0)?.isFinite == true }, "\(label): \(line)")
                }
                rescored += 1
            } catch {
                Self.checkRefusal(error, label)
            }
        }
        for (kind, counts) in outcomes.sorted(by: { $0.key < $1.key }) {
            print("preprocessing.json fuzz: \(kind): \(counts.refused) refused at load, \(counts.loaded) loaded")
        }
        print("preprocessing.json fuzz: \(Self.iterations) files, \(loaded) loaded, \(same) gave the original predictions, \(rescored) scored when re-signed")
        #expect(same == Self.iterations / 50, "the unchanged file was not accepted every time")
        #expect(loaded > same && rescored > same)
    }

    @Test("1,200 data.json files (1,176 mutated or deleted): eval --run and --resume refuse in one line, or keep the original rows")
    func mutatedDataRecord() throws {
        let f = Self.fixture
        let path = f.out + "/data.json", original = FileManager.default.contents(atPath: path)!
        defer { try? original.write(to: URL(fileURLWithPath: path)) }
        let config = try RunFolder.load(f.out).config
        let model = try SavedWeights.load(f.weights, config: config)
        let run = TT.quietRun(config, in: f.out, resume: true)
        let prepared = try PreparedData(config: config)
        let now = RunData(files: prepared.provenance, validationFraction: prepared.validationFraction)
        var random = SplitMix64(seed: Self.seed ^ 0xDA7A)
        var evaluated = 0, resumed = 0
        for iteration in 0..<Self.iterations {
            let (kind, bytes) = iteration % 50 == 49 ? ("unchanged", original) : JSONMutator.mutate(original, using: &random)
            let deleted = iteration % 100 == 24
            if deleted { try FileManager.default.removeItem(atPath: path) } else { try bytes.write(to: URL(fileURLWithPath: path)) }
            let label = "iteration \(iteration) (\(deleted ? "deleted" : kind))"
            do {
                let rows = try RunFolder.load(f.out).validationSet()
                let loss = try Evaluator(loss: config.loss).evaluate(model, on: rows).loss
                #expect(loss.bitPattern == f.validationLoss.bitPattern, "\(label): accepted with another validation loss")
                evaluated += 1
            } catch {
                Self.checkRefusal(error, label)
            }
            do {
                _ = try run.dataHistory(now: prepared, resumedAt: 6)
                // Accepted without --allow-data-change: no record to check, or one of these very data.
                if !deleted {
                    let record = try? JSONDecoder().decode(RunData.self, from: bytes)
                    #expect(record.map { now.change(since: $0) == nil } == true, "\(label): resumed past a record of other data")
                }
                resumed += 1
            } catch {
                Self.checkRefusal(error, label)
            }
        }
        print("data.json fuzz: \(Self.iterations) files, \(evaluated) evaluated to the original loss, \(resumed) resumed")
        #expect(evaluated > Self.iterations / 50 && resumed > Self.iterations / 50)
    }
}
