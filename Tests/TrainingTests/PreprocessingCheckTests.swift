import Foundation
import Testing
import Checkpointing
import Datasets
import Training

/// Issue 23, item 1: a `preprocessing.json` is checked in full when a run folder is loaded, and bound
/// to the weights by its SHA-256. Each case below trapped, overflowed a buffer or gave wrong numbers
/// with exit 0 before.
@Suite("preprocessing.json: checked at load, bound to the weights", .serialized)
struct PreprocessingCheckTests {
    typealias P = CheckpointedPatients

    static let shared: (dir: String, out: String, original: Data) = {
        let dir = try! TT.temporaryDirectory("prep-check")
        let (_, _, out) = try! PatientsCSV.train(in: dir, steps: 6)
        try! TT.write(PatientsCSV.file(700, 30, withLabel: false), to: dir + "/new.csv")
        return (dir, out, P.bytes(out + "/preprocessing.json")!)
    }()

    /// The shared folder's preprocessing.json as a JSON object, edited by `edit` and written back.
    static func write(_ edit: (inout [String: Any]) -> Void) throws {
        var object = try JSONSerialization.jsonObject(with: shared.original) as! [String: Any]
        edit(&object)
        try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]).write(to: URL(fileURLWithPath: shared.out + "/preprocessing.json"))
    }

    static func editColumn(_ name: String, in object: inout [String: Any], _ edit: (inout [String: Any]) -> Void) {
        var columns = object["columns"] as! [[String: Any]]
        let index = columns.firstIndex { $0["name"] as? String == name }!
        edit(&columns[index])
        object["columns"] = columns
    }

    static func restore() throws { try shared.original.write(to: URL(fileURLWithPath: shared.out + "/preprocessing.json")) }

    /// Each edit and a phrase of its one-line refusal.
    static var cases: [(String, String, (inout [String: Any]) -> Void)] { [
        ("duplicated category", "category \"F\" appears more than once", { o in
            editColumn("sex", in: &o) { $0["categories"] = ["F", "F"] } }),
        ("categories wider than encoded_features", "encoded_features lists 9 inputs but the columns encode to 10", { o in
            editColumn("site", in: &o) { $0["categories"] = ["A", "B", "C", "D"] } }),
        ("categorical column without categories", "a categorical column without categories", { o in
            editColumn("site", in: &o) { $0["categories"] = nil } }),
        ("scale 0", "scale 0.0 is not a positive normal number", { o in editColumn("age", in: &o) { $0["scale"] = 0 } }),
        ("scale -0", "is not a positive normal number", { o in editColumn("age", in: &o) { $0["scale"] = -0.0 } }),
        ("scale 1e-45", "is not a positive normal number", { o in editColumn("bmi", in: &o) { $0["scale"] = 1e-45 } }),
        ("scale negative", "scale -2.0 is not a positive normal number", { o in editColumn("bmi", in: &o) { $0["scale"] = -2 } }),
        ("mean beyond float32", "not a Lockstep preprocessing file", { o in editColumn("age", in: &o) { $0["mean"] = 1e300 } }),
        ("no columns", "no columns", { o in o["columns"] = [Any](); o["encoded_features"] = [Any]() }),
        ("duplicated column name", "has the name of columns[0]", { o in editColumn("bmi", in: &o) { $0["name"] = "age" } }),
        ("flipped missing_indicator", "encoded_features lists 9 inputs but the columns encode to 8", { o in
            editColumn("age", in: &o) { $0["missing_indicator"] = false } }),
        ("one class label", "class_labels has 1 labels; a binary task has 2", { o in o["class_labels"] = ["0"] }),
        ("repeated class label", "class label \"1\" appears more than once", { o in o["class_labels"] = ["1", "1"] }),
        ("class label with a line break", "holds a control character", { o in o["class_labels"] = ["0", "a\nb"] }),
        ("multiclass for a one-output model", "loss bce_with_logits does not fit a", { o in o["task"] = "multiclass"; o["classes"] = 3; o["class_labels"] = ["a", "b", "c"] }),
        ("another label column", "is not the config's data.label", { o in o["label_column"] = "notes" }),
        ("fewer inputs than the model", "8 inputs but the config's model.input is 9", { o in
            editColumn("site", in: &o) { $0["categories"] = ["A", "B"] }
            o["encoded_features"] = ["age", "age__missing", "bmi", "bmi__missing", "sex=F", "sex=M", "site=A", "site=B"] }),
        ("unknown missing policy", "missing \"sometimes\" is not one of", { o in o["missing"] = "sometimes" }),
        ("non-finite impute", "preprocessing.json", { o in editColumn("age", in: &o) { $0["impute"] = 1e39 } }),
    ] }

    @Test("every unusable preprocessing.json is refused at load in one line; eval and predict exit non-zero without a trap")
    func unusableFilesAreRefused() throws {
        defer { try? Self.restore() }
        for (name, phrase, edit) in Self.cases {
            try Self.write(edit)
            let error = #expect(throws: (any Error).self, "\(name)") { try RunFolder.load(Self.shared.out) }
            let message = P.oneLine(error)
            #expect(message.contains(Self.shared.out + "/preprocessing.json") && message.contains(phrase), "\(name): \(message)")
        }
        // Through the binary: these trapped (SIGILL), overflowed the row buffer (SIGSEGV) or printed
        // NaN with exit 0.
        for (name, _, edit) in Self.cases.prefix(6) {
            try Self.write(edit)
            let output = Self.shared.dir + "/preds.csv"
            let predict = try CLI.run(["predict", "--run", Self.shared.out, "--input", Self.shared.dir + "/new.csv", "--output", output],
                                      in: Self.shared.dir)
            let eval = try CLI.run(["eval", "--run", Self.shared.out], in: Self.shared.dir)
            for result in [predict, eval] {
                #expect(result.exitedNormally && result.status == 1, "\(name): \(result.stderr)")
                #expect(result.errorLines.count == 1 && result.errorLines[0].contains("preprocessing.json"), "\(name): \(result.stderr)")
            }
            #expect(!FileManager.default.fileExists(atPath: output))
        }
    }

    @Test("a sound preprocessing.json that is not the one the weights were trained with is refused; the original is accepted")
    func boundToTheWeights() throws {
        defer { try? Self.restore() }
        let weights = Self.shared.out + "/model.safetensors"
        let recorded = try SafetensorsArchive(bytes: [UInt8](P.bytes(weights)!), source: weights).metadata["preprocessing_sha256"]
        #expect(recorded == SHA256Reference.hex([UInt8](Self.shared.original)))
        // A mean moved by a little, or to 3e38 (finite): every check passes, and the predictions would
        // be silently off.
        for mean in [0.5, 3e38] {
            try Self.write { o in Self.editColumn("age", in: &o) { $0["mean"] = mean == 0.5 ? ($0["mean"] as! Double) + mean : mean } }
            let folder = try RunFolder.load(Self.shared.out)
            let error = #expect(throws: TrainingError.self) { _ = try Predictor(folder: folder, weights: weights) }
            #expect(P.oneLine(error).contains("trained with another preprocessing.json"))
        }
        let eval = try CLI.run(["eval", "--run", Self.shared.out], in: Self.shared.dir)
        #expect(eval.status != 0 && eval.errorLines.count == 1 && eval.errorLines[0].contains("another preprocessing.json"), "\(eval.stderr)")
        // `--no-verify` is the way to use an edited file on purpose.
        let unverified = try CLI.run(["eval", "--run", Self.shared.out, "--no-verify"], in: Self.shared.dir)
        #expect(unverified.status == 0, "\(unverified.stderr)")
        try Self.restore()
        _ = try Predictor(folder: try RunFolder.load(Self.shared.out), weights: weights)
    }

    @Test("a standardised value that overflows is a bad row, not a NaN prediction")
    func overflowingValueIsABadRow() throws {
        let input = Self.shared.dir + "/huge.csv"
        try TT.write("age,bmi,sex,site\n3e38,25,F,A\n", to: input)
        var preprocessing = try RunFolder.load(Self.shared.out).preprocessing
        preprocessing.columns[0].scale = 1e-30   // sound on its own; 3e38 / 1e-30 is not finite
        let reader = try PredictionReader(path: input, preprocessing: preprocessing, idColumn: nil)
        var features: [Float] = [], ids: [String] = []
        let error = #expect(throws: DatasetError.self) {
            _ = try reader.read(limit: 10, into: &features, ids: &ids, skipBadRows: false) { _ in }
        }
        #expect(P.oneLine(error).contains("non-finite input"))
    }

    @Test("PredictionReader and encode check a preprocessing they are handed, without trapping")
    func libraryEntryPointsCheck() throws {
        var preprocessing = try RunFolder.load(Self.shared.out).preprocessing
        preprocessing.columns[2].categories = ["F", "F"]   // sex: a duplicate that trapped in Dictionary(uniqueKeysWithValues:)
        preprocessing.encodedFeatures = Preprocessing.encodedNames(of: preprocessing.columns)
        #expect(throws: DatasetError.self) { _ = try PredictionReader(path: Self.shared.dir + "/new.csv", preprocessing: preprocessing, idColumn: nil) }
        let error = #expect(throws: DatasetError.self) { _ = try preprocessing.encodeFile(Self.shared.dir + "/patients.csv") }
        #expect(P.oneLine(error).contains("appears more than once"))
    }
}
