import Foundation

/// A run that finished but learned nothing, or did not finish because its loss blew up: what
/// `summary.json` records under `collapse` and rank 0 reports as a warning, so that a collapsed
/// large-batch run is not mistaken for a done one (it exits 0 and its loss looks plausible).
///
/// Judged on the final validation evaluation:
/// - `diverged`: the training loss went non-finite or past the divergence bound (the run stops
///   there with an error; summary.json is still written, without weights);
/// - `constant_predictions`: every validation row got the same output (binary, regression), or the
///   same class (multiclass);
/// - `chance_level`: a binary task's AUC at most `chanceMargin` above 0.5 (or anywhere below it: a
///   ranking worse than a coin's is no model either);
/// - `majority_class`: a multiclass accuracy no better than always answering the most frequent class.
///
/// ```swift
/// if let collapse = RunCollapse.judge(finalEvaluation) { print("warning: \(collapse)") }
/// ```
public struct RunCollapse: Codable, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Codable, Sendable {
        case diverged, constantPredictions = "constant_predictions", chanceLevel = "chance_level", majorityClass = "majority_class"
    }

    public var kind: Kind
    /// What was seen, in words (`validation AUC 0.5000 (chance 0.5)`).
    public var detail: String

    /// An AUC at most this far above 0.5 is chance: the AUC of random scores on 4,000 rows has a
    /// standard deviation under 0.01.
    public static let chanceMargin = 0.01
    /// A multiclass accuracy at most this far above the majority share is the majority class.
    public static let majorityMargin = 0.005

    public init(kind: Kind, detail: String) { (self.kind, self.detail) = (kind, detail) }

    public var description: String {
        switch kind {
        case .diverged: "the run diverged: \(detail)"
        case .constantPredictions: "the run collapsed to constant predictions: \(detail)"
        case .chanceLevel: "the run is at or below chance level: \(detail)"
        case .majorityClass: "the run predicts no better than the majority class: \(detail)"
        }
    }

    /// The collapse the final evaluation shows, if any (nil without a validation split).
    public static func judge(_ evaluation: EvaluationResult?) -> RunCollapse? {
        guard let e = evaluation else { return nil }
        if !e.loss.isFinite {
            return RunCollapse(kind: .diverged, detail: "the validation loss is \(e.loss)")
        }
        if let range = e.outputRange, range == 0 {
            return RunCollapse(kind: .constantPredictions, detail: "every one of \(e.samples) validation rows got the same output")
        }
        if let confusion = e.confusion, confusion.count > 1 {
            let predicted = (0..<confusion.count).filter { c in confusion.contains { $0[c] > 0 } }
            if predicted.count == 1 {
                return RunCollapse(kind: .constantPredictions, detail: "every validation row was classified as class \(predicted[0])")
            }
            if let accuracy = e.accuracy, let majority = e.majorityShare, accuracy <= majority + majorityMargin {
                return RunCollapse(kind: .majorityClass, detail: String(format: "validation accuracy %.4f, the majority class's share %.4f", accuracy, majority))
            }
        }
        if let auc = e.auc, auc <= 0.5 + chanceMargin {
            return RunCollapse(kind: .chanceLevel, detail: String(format: "validation AUC %.4f (chance 0.5)", auc))
        }
        return nil
    }
}
