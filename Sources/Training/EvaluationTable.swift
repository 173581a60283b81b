import Foundation
import Datasets

/// Rows to evaluate, under a name the CLI can use without importing Datasets.
public typealias EvaluationRows = any LabeledRows

/// The human-readable form of an `EvaluationResult`: one line of scalar metrics, then the per-class
/// accuracy and confusion matrix of a multiclass task, and why any metric is undefined.
///
/// ```
/// validation  samples 360  loss 0.1432  accuracy 0.9583  auc 0.9871  precision 0.9412  recall 0.9231  f1 0.9320
/// ```
public enum EvaluationTable {
    public static func render(_ result: EvaluationResult, source: String) -> String {
        var lines = ["\(source)  samples \(result.samples)  " + result.scalars.map { "\($0.name) \(String(format: "%.4f", $0.value))" }.joined(separator: "  ")]
        if let perClass = result.perClassAccuracy {
            lines.append("per-class accuracy: " + perClass.enumerated().map { "\($0.offset) \($0.element.map { String(format: "%.3f", $0) } ?? "n/a")" }.joined(separator: "  "))
        }
        if let confusion = result.confusion {
            let width = max(5, String(confusion.flatMap { $0 }.max() ?? 0).count + 1)
            func cell(_ text: String) -> String { String(repeating: " ", count: max(0, width - text.count)) + text }
            lines.append("confusion (rows: true class, columns: predicted)")
            lines.append(cell("") + confusion.indices.map { cell(String($0)) }.joined())
            for (c, row) in confusion.enumerated() { lines.append(cell(String(c)) + row.map { cell(String($0)) }.joined()) }
        }
        for (name, reason) in result.undefined.sorted(by: { $0.key < $1.key }) { lines.append("\(name): undefined (\(reason))") }
        return lines.joined(separator: "\n")
    }
}
