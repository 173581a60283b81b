import Testing
import Foundation
import TensorCore
import Datasets
import Distributed
import Training
import Config

/// `data.order: keyed` (issue 20): the split and every epoch's order computed per sample in O(1)
/// memory keep the contract — one hash at every world size, across epochs — and are a different
/// order from `shuffle`'s, which keeps its old bits.
@Suite("data.order: keyed")
struct KeyedOrderTests {
    /// 20 steps of 256 over 2,400 training rows: the run crosses two epoch boundaries.
    static let keyed = ["data.order=keyed", "data.samples=3000", "train.steps=20"]

    @Test("one hash at W = 1, 2, 3, 8 across epochs; another order than shuffle's")
    func sameBitsAtEveryWorldSize() throws {
        let (reference, summary) = try InvarianceTests.trainSimulated(ranks: 1, extra: Self.keyed)
        for ranks in [2, 3, 8] {
            let (archive, s) = try InvarianceTests.trainSimulated(ranks: ranks, extra: Self.keyed)
            InvarianceTests.expectIdentical(reference, archive, "keyed W=\(ranks)")
            #expect(s.paramsSHA256 == summary.paramsSHA256)
        }
        let shuffled = try InvarianceTests.trainSimulated(ranks: 1, extra: Self.keyed.filter { $0 != "data.order=keyed" }).summary
        #expect(shuffled.paramsSHA256 != summary.paramsSHA256, "keyed and shuffle gave the same order")
    }

    @Test("the keyed split holds out round(n × f) rows, each known to its membership test, and differs from shuffle's")
    func keyedSplit() throws {
        let split = try SampleOrder.keyed.split(count: 10_000, validationFraction: 0.2, seed: 7)
        #expect(split.validationIndices.count == 2_000 && split.trainIndices.count == 8_000)
        let isValidation = DataSplit.keyedMembership(count: 10_000, validation: 2_000, seed: 7)
        #expect(split.validationIndices.allSatisfy(isValidation) && !split.trainIndices.contains(where: isValidation))
        #expect(split.validationIndices == split.validationIndices.sorted())
        let shuffled = try SampleOrder.shuffle.split(count: 10_000, validationFraction: 0.2, seed: 7)
        #expect(shuffled.validationIndices != split.validationIndices)
    }

    @Test("the default stays shuffle and leaves the canonical form as it was")
    func defaultIsShuffle() throws {
        let config = try RunConfig(yaml: Self.configClinicalYAMLForOrder, source: "c.yaml")
        #expect(config.data.order == .shuffle && !config.canonicalYAML.contains("order:"))
        let keyed = try RunConfig(yaml: Self.configClinicalYAMLForOrder, source: "c.yaml", overrides: ["data.order=keyed"])
        #expect(keyed.canonicalYAML.contains("  order: keyed\n") && keyed.configDigest != config.configDigest)
    }

    static let configClinicalYAMLForOrder = """
        model: {input: 20, layers: [{type: linear, out: 1}]}
        data: {source: synthetic-clinical, samples: 1000}
        loss: bce_with_logits
        batch: {global: 32, micro: 8}
        optimizer: {type: sgd, lr: 0.1}
        train: {steps: 10}
        output: {dir: runs/x}
        """
}
