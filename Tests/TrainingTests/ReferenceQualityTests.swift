import Foundation
import Testing
import Datasets
import Training
import Config

/// The shipped configs, trained as shipped, reach the quality they promise.
@Suite("Shipped configs: model quality")
struct ReferenceQualityTests {
    /// configs/clinical-mlp.yaml, 600 steps: validation AUC within 0.03 of the best any model can reach.
    @Test("clinical-mlp.yaml reaches validation AUC ≥ bayesAUC − 0.03")
    func clinicalReferenceModel() throws {
        let config = try RunConfig.load(path: TT.shippedConfig("clinical-mlp.yaml"))
        #expect(config.train.steps == 600)
        let directory = try TT.temporaryDirectory("clinical")
        defer { TT.remove(directory) }
        let summary = try TT.quietRun(config, in: directory).run()
        #expect(summary.steps == 600)
        let auc = try #require(summary.validation.auc)
        #expect(auc >= SyntheticClinical.bayesAUC - 0.03, "validation AUC \(auc), Bayes AUC \(SyntheticClinical.bayesAUC)")
        #expect(auc <= SyntheticClinical.bayesAUC + 0.02, "validation AUC \(auc) above what the data allows")
        #expect(summary.finalTrainLoss.isFinite && summary.finalTrainLoss < 0.6)
    }

    /// configs/digits-mlp.yaml reads its CSV relative to the current directory; the test points
    /// `data.path` at the repository's copy so that it runs from anywhere.
    @Test("digits-mlp.yaml reaches validation accuracy ≥ 0.95")
    func digitsModel() throws {
        let csv = TT.repositoryRoot.appendingPathComponent("configs/data/digits.csv").path
        let config = try RunConfig.load(path: TT.shippedConfig("digits-mlp.yaml"), overrides: ["data.path=\(csv)"])
        #expect(config.loss == .crossEntropy)
        let directory = try TT.temporaryDirectory("digits")
        defer { TT.remove(directory) }
        let summary = try TT.quietRun(config, in: directory).run()
        let accuracy = try #require(summary.validation.accuracy)
        #expect(accuracy >= 0.95, "validation accuracy \(accuracy) after \(summary.steps) steps")
        #expect(summary.validation.auc == nil)
    }
}
