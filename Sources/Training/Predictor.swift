import Foundation
import TensorCore
import Autograd
import NN
import Datasets
import Config
import Checkpointing

/// Scores the rows of a CSV file with a trained model and its saved preprocessing, streaming the file
/// in chunks of `chunk` rows (memory does not grow with the file) and writing the predictions file
/// atomically (no partial file on error).
///
/// Output columns: the id column when given, then by loss: `bce_with_logits` → `logit,prob`;
/// `cross_entropy` → `prob_<label>` per class and `predicted` (the label of the largest logit);
/// `mse` → `prediction`. Numbers are written in Swift's shortest round-trip form.
///
/// ```swift
/// let report = try Predictor(folder: try RunFolder.load("runs/x"), weights: "runs/x/model.safetensors")
///     .predict(input: "new.csv", output: "preds.csv", idColumn: "id")
/// ```
public struct Predictor {
    public let config: RunConfig
    public let preprocessing: Preprocessing
    public let model: Sequential
    /// Rows per model call.
    public var chunk = 4096
    /// Bytes read from the input at a time.
    public var readChunkBytes = 1 << 20
    /// A stop signal received (`StopSignal.requested`), read between chunks: the output's temporary
    /// is removed and `predict` throws `PredictionInterrupted`, leaving no hidden file behind.
    public var stopRequest: () -> Int32? = { nil }

    public struct Report: Sendable {
        public var rows: Int
        public var skipped: Int
        public var ignoredColumns: [String]
    }

    public init(folder: RunFolder, weights: String) throws {
        config = folder.config
        preprocessing = folder.preprocessing
        model = try SavedWeights.load(weights, config: folder.config, preprocessingSHA256: folder.preprocessingSHA256)
    }

    /// `log` gets the one-time notes (ignored columns, skipped rows) and the progress lines. An output
    /// inside a run folder makes this a writer of that folder: it holds the folder's lock meanwhile,
    /// and is refused while a run trains there.
    public func predict(input: String, output: String, idColumn: String?, skipBadRows: Bool = false,
                        log: (String) -> Void = { _ in }) throws -> Report {
        let lock = try Self.lockRunFolder(containing: output)
        defer { lock?.release() }
        let reader = try PredictionReader(path: input, preprocessing: preprocessing, idColumn: idColumn, chunkSize: readChunkBytes)
        if !reader.ignoredColumns.isEmpty {
            log("\(input): ignoring column\(reader.ignoredColumns.count > 1 ? "s" : "") the model does not use: \(reader.ignoredColumns.prefix(20).joined(separator: ", "))")
        }
        let file = try StreamingOutputFile(path: output)
        var header = idColumn.map { [$0] } ?? []
        header += outputColumns
        try file.write(header.joined(separator: ",") + "\n")
        var features: [Float] = [], ids: [String] = []
        var nextReport = 0.1
        while true {
            features.removeAll(keepingCapacity: true)
            ids.removeAll(keepingCapacity: true)
            let n = try reader.read(limit: chunk, into: &features, ids: &ids, skipBadRows: skipBadRows) { log("skipped: \($0)") }
            if let signal = stopRequest() {
                file.abandon()
                throw PredictionInterrupted(signal: signal, rows: reader.rowsRead, output: output)
            }
            if n == 0 { break }
            let inputs = Tensor(features, shape: [n, preprocessing.encodedWidth])   // (n, F)
            let outputs = try inferenceMode { try model(inputs) }                           // (n, outputs)
            try Self.checkFinite(outputs, lines: reader.lineNumbers, input: input)
            try write(outputs, ids: idColumn == nil ? nil : ids, to: file)
            let done = Double(reader.bytesRead) / Double(max(reader.fileSize, 1))
            if done >= nextReport && done < 1 {
                log("predict: \(reader.rowsRead) rows, \(Int(done * 100))% of \(input)")
                nextReport = (done * 10).rounded(.down) / 10 + 0.1
            }
        }
        // A file of only a header would pass for the predictions of an empty input.
        guard reader.rowsRead > 0 || reader.rowsSkipped == 0 else {
            throw TrainingError("\(input): all \(reader.rowsSkipped) rows are bad (skipped); no predictions written")
        }
        try file.commit()
        return Report(rows: reader.rowsRead, skipped: reader.rowsSkipped, ignoredColumns: reader.ignoredColumns)
    }

    var outputColumns: [String] {
        switch config.loss {
        case .bceWithLogits: ["logit", "prob"]
        case .crossEntropy: preprocessing.classLabels.map { Self.csvCell("prob_" + $0) } + ["predicted"]
        case .mse: ["prediction"]
        }
    }

    private func write(_ outputs: Tensor, ids: [String]?, to file: StreamingOutputFile) throws {
        let n = outputs.shape[0], k = outputs.shape[1], values = outputs.floats
        var text = ""
        for i in 0..<n {
            if let ids { text += Self.csvCell(ids[i]) + "," }
            let row = values + i * k
            switch config.loss {
            case .bceWithLogits:
                let logit = row[0]
                text += "\(logit),\(Self.sigmoid(logit))"
            case .crossEntropy:
                var best = 0
                for j in 1..<k where row[j] > row[best] { best = j }
                // Softmax in Double, shifted by the largest logit so that exp cannot overflow.
                let top = Double(row[best])
                var total = 0.0
                for j in 0..<k { total += exp(Double(row[j]) - top) }
                for j in 0..<k { text += "\(Float(exp(Double(row[j]) - top) / total)),"  }
                text += best < preprocessing.classLabels.count ? Self.csvCell(preprocessing.classLabels[best]) : String(best)
            case .mse:
                text += "\(row[0])"
            }
            text += "\n"
        }
        try file.write(text)
    }

    /// The lock of the run folder `output` would be written into, or nil when its directory holds no run.
    static func lockRunFolder(containing output: String) throws -> FolderLock? {
        let directory = output.contains("/") ? String(output[..<output.lastIndex(of: "/")!]) : "."
        let folder = directory.isEmpty ? "/" : directory
        let isRun = ([FolderLock.fileName] + PreviousRun.entries).contains { FileManager.default.fileExists(atPath: folder + "/" + $0) }
        return isRun ? try FolderLock.acquire(folder, purpose: "lockstep predict") : nil
    }

    /// A NaN or infinite output is no prediction: inputs far outside the training data (or weights
    /// that overflow on them) made it, and written out it would pass for one.
    static func checkFinite(_ outputs: Tensor, lines: [Int], input: String) throws {
        let values = outputs.floats, k = outputs.shape[1]
        for i in 0..<outputs.shape[0] {
            for j in 0..<k where !values[i * k + j].isFinite {
                let line = i < lines.count ? String(lines[i]) : "?"
                throw TrainingError("\(input):\(line): the model's output is \(values[i * k + j]) for this row: its inputs are far outside what the model was trained on")
            }
        }
    }

    static func sigmoid(_ x: Float) -> Float {
        Float(1 / (1 + exp(-Double(x))))
    }

    /// Quotes an id that holds a comma, quote or line end, as CSV writers do.
    static func csvCell(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
