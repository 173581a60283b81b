import Foundation
import Checkpointing
import Datasets
import Config

/// The files that make a run folder self-contained, written by rank 0 next to `model.safetensors`
/// before the first step, each atomically (docs/outputs.md):
///
/// - `config.yaml`: the resolved config in canonical form (loading it gives the run's config digest);
/// - `preprocessing.json`: the fitted `Preprocessing` (inputs in order, imputation, standardisation,
///   categories, task and class labels);
/// - `data.json`: the `DataProvenance` of every file read.
///
/// `load` reads them back for `eval --run` and `predict --run`, refusing a folder from an older
/// format with one line.
///
/// ```swift
/// try RunFolder.write(config: config, data: prepared, to: "runs/x")
/// let saved = try RunFolder.load("runs/x")   // saved.config, saved.preprocessing
/// ```
public struct RunFolder: Sendable {
    public static let configFile = "config.yaml", preprocessingFile = "preprocessing.json", dataFile = "data.json"
    public static let files = [configFile, preprocessingFile, dataFile]

    public let path: String
    public let config: RunConfig
    public let preprocessing: Preprocessing
    /// `data.json`: nil when the folder has none.
    public let data: RunData?

    public static func write(config: RunConfig, data: PreparedData, to directory: String) throws {
        try AtomicFile.write(Array(config.canonicalYAML.utf8), to: directory + "/" + configFile)
        try AtomicFile.write(JSONOutput.pretty(data.preprocessing), to: directory + "/" + preprocessingFile)
        try AtomicFile.write(JSONOutput.pretty(RunData(files: data.provenance, validationFraction: data.validationFraction)),
                             to: directory + "/" + dataFile)
    }

    /// Reads a run folder's config and preprocessing.
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
        guard preprocessing.format == Preprocessing.currentFormat else {
            throw TrainingError("\(preprocessingPath): format \"\(preprocessing.format)\" is not the supported \"\(Preprocessing.currentFormat)\"")
        }
        guard preprocessing.encodedWidth == config.model.input else {
            throw TrainingError("\(preprocessingPath): \(preprocessing.encodedWidth) inputs but the config's model.input is \(config.model.input)")
        }
        let runData = FileManager.default.contents(atPath: directory + "/" + dataFile).flatMap { try? JSONDecoder().decode(RunData.self, from: $0) }
        return RunFolder(path: directory, config: config, preprocessing: preprocessing, data: runData)
    }

    /// The run's validation rows, encoded with the saved preprocessing (never re-fitted): the separate
    /// validation file if the run had one, else the held-out split of the training file.
    public func validationSet() throws -> any LabeledRows {
        if let file = data?.files.first(where: { $0.role == "validation" }) {
            return try preprocessing.encodeFile(file.path)
        }
        var options = preprocessing.readingOptions
        options.validationFraction = data?.validationFraction
        let prepared = try PreparedData(config: config, options: options, fitted: preprocessing)
        guard prepared.hasValidation else { throw TrainingError("\(path): the run had no validation split (validation fraction 0); give --data FILE") }
        return prepared.validation
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
