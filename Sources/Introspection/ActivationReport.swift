import Foundation
import TensorCore
import Autograd
import NN
import Training

/// Statistics of one module's output on a batch (see `ActivationReport`).
public struct LayerActivationStatistics: Sendable, Equatable {
    /// How close a batch-norm layer's per-feature statistics are to mean 0 and standard deviation 1.
    /// Each feature's mean and (population) standard deviation are taken over the batch; `meanAbs` and
    /// `stdDeviation` average `|mean_f|` and `|std_f − 1|` over the features, the `Max` ones take the
    /// worst feature.
    public struct Fit: Sendable, Equatable {
        public let meanAbs: Double
        public let meanAbsMax: Double
        public let stdDeviation: Double
        public let stdDeviationMax: Double

        /// The fit of the columns of an (N, C) matrix given row-major.
        init(columnsOf values: [Double], rows: Int, columns: Int) {
            var meanAbs = 0.0, meanAbsMax = 0.0, stdDeviation = 0.0, stdDeviationMax = 0.0
            for j in 0..<columns {
                var sum = 0.0
                for i in 0..<rows { sum += values[i * columns + j] }
                let mean = sum / Double(rows)
                var squares = 0.0
                for i in 0..<rows { let d = values[i * columns + j] - mean; squares += d * d }
                let std = (squares / Double(rows)).squareRoot()
                meanAbs += Swift.abs(mean); meanAbsMax = Swift.max(meanAbsMax, Swift.abs(mean))
                stdDeviation += Swift.abs(std - 1); stdDeviationMax = Swift.max(stdDeviationMax, Swift.abs(std - 1))
            }
            let c = Double(Swift.max(columns, 1))
            self.meanAbs = meanAbs / c
            self.meanAbsMax = meanAbsMax
            self.stdDeviation = stdDeviation / c
            self.stdDeviationMax = stdDeviationMax
        }

    }

    public let name: String
    /// The module's `summary` (`BatchNorm1d(64)`, `ReLU`).
    public let summary: String
    public let shape: [Int]
    /// Mean and population standard deviation over every element of the output.
    public let mean: Double
    public let std: Double
    /// Activation modules only: the fraction of units (features) that are exactly zero for every sample
    /// of the batch — for a ReLU, units that pass no gradient for any of these samples ("dead").
    public let deadFraction: Double?
    /// Batch-norm modules only: the fit of the output to mean 0, std 1 per feature. The output includes
    /// the learned affine transform (γ, β), so a trained layer may be meant to sit elsewhere.
    public let outputFit: Fit?
    /// Batch-norm modules only: the fit of the normalised input `x̂ = (x − μ)/√(σ² + ε)` (before γ and β),
    /// with the statistics the layer used — the running ones in eval mode. This is what tells whether
    /// the running statistics still describe the data.
    public let normalizedFit: Fit?

}

// `inspect --json`: keys as before the Codable rewrite; non-finite statistics are null with a reason.
extension LayerActivationStatistics: Encodable {
    public func encode(to encoder: Encoder) throws {
        var out = encoder.container(keyedBy: JSONKey.self)
        try out.encode(name, forKey: "name")
        try out.encode(summary, forKey: "module")
        try out.encode(shape, forKey: "shape")
        try out.encode(Metric(mean), forKey: "mean")
        try out.encode(Metric(std), forKey: "std")
        try out.encodeIfPresent(deadFraction.map { Metric($0) }, forKey: "dead_fraction")
        try out.encodeIfPresent(outputFit, forKey: "batch_norm_output")
        try out.encodeIfPresent(normalizedFit, forKey: "batch_norm_normalized")
    }
}

extension LayerActivationStatistics.Fit: Encodable {
    public func encode(to encoder: Encoder) throws {
        var out = encoder.container(keyedBy: JSONKey.self)
        try out.encode(Metric(meanAbs), forKey: "mean_abs")
        try out.encode(Metric(meanAbsMax), forKey: "mean_abs_max")
        try out.encode(Metric(stdDeviation), forKey: "std_deviation")
        try out.encode(Metric(stdDeviationMax), forKey: "std_deviation_max")
    }
}

/// What each layer of a model outputs on a batch: shape, mean, standard deviation, dead units of
/// activations, and how normalised batch-norm outputs are.
///
/// ```swift
/// model.eval()
/// let report = try ActivationReport.inspect(model, input: validationBatch)   // every layer
/// print(ActivationReport.table(report))
/// ```
public enum ActivationReport {
    /// Statistics of the outputs of `layers` (default: every module but the root, see
    /// `ActivationCapture.layerNames`) for one forward of `input`, with the model in the mode it is in.
    public static func inspect(_ model: Module, input: Tensor, layers: [String]? = nil) throws -> [LayerActivationStatistics] {
        let layers = layers ?? ActivationCapture.layerNames(of: model)
        let calls = try ActivationCapture.captureCalls(model, layers: layers, input: input, keepInputs: true)
        return calls.map(statistics)
    }

    static func statistics(_ call: ActivationCapture.Call) -> LayerActivationStatistics {
        let y = call.output
        let values = y.scalars
        let n = Double(Swift.max(values.count, 1))
        let mean = values.reduce(0, +) / n
        let std = (values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / n).squareRoot()
        let rows = y.rank >= 1 ? y.shape[0] : 1
        let columns = rows == 0 ? 0 : values.count / rows

        var dead: Double?
        if Introspection.isActivation(call.module), columns > 0 {
            var deadUnits = 0
            for j in 0..<columns where (0..<rows).allSatisfy({ values[$0 * columns + j] == 0 }) { deadUnits += 1 }
            dead = Double(deadUnits) / Double(columns)
        }

        var outputFit: LayerActivationStatistics.Fit?, normalizedFit: LayerActivationStatistics.Fit?
        if let bn = call.module as? BatchNorm1d, y.rank == 2, rows > 0, let x = call.input {
            outputFit = .init(columnsOf: values, rows: rows, columns: columns)
            normalizedFit = .init(columnsOf: normalized(x, bn), rows: rows, columns: columns)
        }
        return LayerActivationStatistics(name: call.name, summary: call.module.summary, shape: y.shape,
                                         mean: mean, std: std, deadFraction: dead,
                                         outputFit: outputFit, normalizedFit: normalizedFit)
    }

    /// `(x − μ)/√(σ² + ε)` per feature, with the statistics `bn` normalised with: the running ones in
    /// eval mode, the batch's own (biased variance) in train mode.
    static func normalized(_ x: Tensor, _ bn: BatchNorm1d) -> [Double] {
        let values = x.scalars
        let (rows, columns) = (x.shape[0], x.shape[1])
        var out = values
        for j in 0..<columns {
            let mean: Double, variance: Double
            if bn.isTraining {
                mean = (0..<rows).reduce(0) { $0 + values[$1 * columns + j] } / Double(rows)
                variance = (0..<rows).reduce(0) { $0 + (values[$1 * columns + j] - mean) * (values[$1 * columns + j] - mean) } / Double(rows)
            } else {
                mean = bn.runningMean.element(j)
                variance = bn.runningVariance.element(j)
            }
            let inverse = 1 / (variance + bn.epsilon).squareRoot()
            for i in 0..<rows { out[i * columns + j] = (values[i * columns + j] - mean) * inverse }
        }
        return out
    }

    /// One row per layer: name, module, shape, mean, std, dead units, and for batch norm the average
    /// `|mean_f|` and `|std_f − 1|` over features, of the output `y` (after γ, β) and of the normalised
    /// input `x̂` (before them).
    public static func table(_ report: [LayerActivationStatistics]) -> String {
        var cells = [["name", "module", "shape", "mean", "std", "dead", "bn y |mean|", "bn y |std-1|", "bn x̂ |mean|", "bn x̂ |std-1|"]]
        for layer in report {
            func fit(_ f: LayerActivationStatistics.Fit?) -> [String] {
                guard let f else { return ["", ""] }
                return [Introspection.number(f.meanAbs), Introspection.number(f.stdDeviation)]
            }
            cells.append([layer.name, layer.summary, Introspection.shape(layer.shape),
                          Introspection.number(layer.mean), Introspection.number(layer.std),
                          layer.deadFraction.map { Introspection.number($0 * 100, "%.1f%%") } ?? ""]
                         + fit(layer.outputFit) + fit(layer.normalizedFit))
        }
        return Introspection.table(cells, rightAligned: [3, 4, 5, 6, 7, 8, 9])
            .map { $0.replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression) }
            .joined(separator: "\n")
    }

    /// `{"samples": N, "layers": [...]}` as one line of JSON (keys sorted; non-finite numbers as null).
    public static func json(_ report: [LayerActivationStatistics], samples: Int) throws -> String {
        struct Report: Encodable {
            let samples: Int
            let layers: [LayerActivationStatistics]
        }
        return try JSONOutput.line(Report(samples: samples, layers: report))
    }
}
