import Foundation
import Checkpointing
import Datasets
import Config

/// The files that make a run folder self-contained, written by rank 0 next to `model.safetensors`
/// before the first step, each atomically (docs/outputs.md):
///
/// - `config.yaml`: the resolved config in canonical form (loading it gives the run's config digest);
/// - `preprocessing.json`: the fitted `Preprocessing` (inputs in order, imputation, standardisation,
///   categories, task and class labels), whose SHA-256 every weights file of the run records as
///   `preprocessing_sha256`;
/// - `data.json`: the `DataProvenance` of every file read.
///
/// `load` reads them back for `eval --run` and `predict --run`, refusing with one line a folder from an
/// older format, a preprocessing that cannot be applied (`Preprocessing.check`) or that does not fit
/// the config's model; `data.json` is checked when the validation rows are asked for.
///
/// ```swift
/// try RunFolder.write(config: config, data: prepared, to: "runs/x")
/// let saved = try RunFolder.load("runs/x")   // saved.config, saved.preprocessing
/// ```
public struct RunFolder: Sendable {
    public static let configFile = "config.yaml", preprocessingFile = "preprocessing.json", dataFile = "data.json"
    public static let files = [configFile, preprocessingFile, dataFile]
    /// The weights' metadata key that binds them to their run's `preprocessing.json`.
    public static let preprocessingDigestKey = "preprocessing_sha256"

    public let path: String
    public let config: RunConfig
    public let preprocessing: Preprocessing
    /// SHA-256 (hex) of `preprocessing.json` as read, compared with the weights' `preprocessing_sha256`.
    public let preprocessingSHA256: String
    /// `data.json`: nil when the folder has none or it does not describe the run (`dataProblem` says why).
    public let data: RunData?
    /// Why `data` is nil: one line naming data.json.
    public let dataProblem: String?

    /// Writes the three files; `earlier` is the history `data.json` keeps of data that earlier segments
    /// of a resumed run trained on.
    public static func write(config: RunConfig, data: PreparedData, to directory: String, earlier: [EarlierData]? = nil) throws {
        try AtomicFile.write(Array(config.canonicalYAML.utf8), to: directory + "/" + configFile)
        try AtomicFile.write(preprocessingBytes(data.preprocessing), to: directory + "/" + preprocessingFile)
        var record = RunData(files: data.provenance, validationFraction: data.validationFraction)
        record.earlier = earlier.flatMap { $0.isEmpty ? nil : $0 }
        try AtomicFile.write(JSONOutput.pretty(record), to: directory + "/" + dataFile)
    }

    /// `preprocessing.json`'s bytes as `write` writes them; the digest the weights record is theirs.
    static func preprocessingBytes(_ preprocessing: Preprocessing) throws -> [UInt8] {
        try JSONOutput.pretty(preprocessing)
    }

    static func sha256(_ bytes: [UInt8]) -> String {
        let hasher = FileHasher()
        bytes.withUnsafeBytes(hasher.update)
        return hasher.hex
    }

    /// Reads a run folder's config and preprocessing (checked), and its data record.
    public static func load(_ directory: String) throws -> RunFolder {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw TrainingError("\(directory): no such run folder")
        }
        let configPath = directory + "/" + configFile, preprocessingPath = directory + "/" + preprocessingFile
        for path in [configPath, preprocessingPath] where !FileManager.default.fileExists(atPath: path) {
            throw TrainingError("\(directory): not a complete run folder (no \((path as NSString).lastPathComponent)); it was written by an older Lockstep or is not a run: re-train, or use eval --config with --weights")
        }
        let config = try RunConfig.load(path: configPath)
        guard let bytes = FileManager.default.contents(atPath: preprocessingPath) else {
            throw TrainingError("\(preprocessingPath): cannot read the file")
        }
        let preprocessing: Preprocessing
        do {
            preprocessing = try JSONDecoder().decode(Preprocessing.self, from: bytes)
        } catch {
            throw TrainingError("\(preprocessingPath): not a Lockstep preprocessing file (\(Self.reason(error)))")
        }
        try preprocessing.check(source: preprocessingPath)
        try Self.checkFit(preprocessing, config: config, source: preprocessingPath)
        let (data, problem) = Self.readData(directory + "/" + dataFile, config: config)
        return RunFolder(path: directory, config: config, preprocessing: preprocessing, preprocessingSHA256: sha256([UInt8](bytes)),
                         data: data, dataProblem: problem)
    }

    /// A preprocessing that is sound on its own must also be the one for this config's model: as
    /// many inputs as `model.input`, a task and class labels the loss and outputs take, the config's
    /// label column, and for generated data the generator's plain numeric columns.
    static func checkFit(_ preprocessing: Preprocessing, config: RunConfig, source: String) throws {
        guard preprocessing.encodedWidth == config.model.input else {
            throw TrainingError("\(source): \(preprocessing.encodedWidth) inputs but the config's model.input is \(config.model.input)")
        }
        try PreparedData.checkTask(preprocessing.datasetTask, loss: config.loss, outputs: config.outputFeatures, source: source)
        switch config.data.source {
        case .csv(_, let label):
            guard preprocessing.labelColumn == label else {
                throw TrainingError("\(source): label_column \(preprocessing.labelColumn.map { "\"\(Preprocessing.clip($0))\"" } ?? "null") is not the config's data.label \"\(label)\"")
            }
        case .packed:
            break   // the pack's own preprocessing; PreparedData refuses another one
        case .syntheticClinical, .syntheticWide:
            guard preprocessing.labelColumn == nil, preprocessing.columns.allSatisfy({ $0.kind == .numeric && !$0.missingIndicator }) else {
                throw TrainingError("\(source): the config's data are generated (\(config.data.source.name)), but the preprocessing reads a file's columns")
            }
        }
    }

    /// `data.json` decoded and checked against the config, or why it cannot be used.
    static func readData(_ path: String, config: RunConfig) -> (RunData?, String?) {
        guard let bytes = FileManager.default.contents(atPath: path) else {
            let exists = FileManager.default.fileExists(atPath: path)
            return (nil, "\(path): \(exists ? "cannot read the file" : "missing"); it records which data the run trained and validated on")
        }
        let data: RunData
        do {
            data = try JSONDecoder().decode(RunData.self, from: bytes)
        } catch {
            return (nil, "\(path): not a Lockstep data record (\(Self.reason(error)))")
        }
        if let problem = data.problem(for: config) {
            return (nil, "\(path): does not describe this run's config: \(problem)")
        }
        return (data, nil)
    }

    /// The weights file for `--checkpoint best|last|PATH` (default last = model.safetensors).
    public func weightsPath(_ choice: String?) throws -> String {
        let path: String
        switch choice {
        case nil, "last": path = self.path + "/model.safetensors"
        case "best": path = self.path + "/best.safetensors"
        case let other?: path = other
        }
        guard FileManager.default.fileExists(atPath: path) else {
            throw TrainingError("\(path): no such weights file\(choice == "best" ? " (the run was trained without save_best)" : "")")
        }
        return path
    }

    /// One line for a decoding error: the key path and what was wrong, not Foundation's dump.
    static func reason(_ error: Error) -> String {
        switch error as? DecodingError {
        case .keyNotFound(let key, let context)?:
            return "missing key \((context.codingPath + [key]).map(\.stringValue).joined(separator: "."))"
        case .typeMismatch(_, let context)?, .valueNotFound(_, let context)?:
            return "wrong value at \(context.codingPath.map(\.stringValue).joined(separator: "."))"
        case .dataCorrupted(let context)?:
            return context.codingPath.isEmpty ? "not valid JSON" : "bad value at \(context.codingPath.map(\.stringValue).joined(separator: "."))"
        default:
            return "unreadable"
        }
    }
}
