import Testing
import Foundation
import TensorCore
import Distributed
import Checkpointing
import Training
import Config

/// LARS and LAMB keep the contract: their trust ratios come from per-tensor norms summed in one
/// grouping (`TensorNorms`), so the bits are the same at every world size, with and without
/// optimizer-state sharding (a tensor's norm then gathered from pieces on several ranks), with
/// overlap, and through a sharded checkpoint resumed elsewhere.
@Suite(.serialized)
struct LayerwiseInvarianceTests {
    static let optimizers = [
        ["optimizer={type: lars, lr: 2.0, momentum: 0.9, weight_decay: 0.0001, trust_coefficient: 0.01}"],
        ["optimizer={type: lamb, lr: 0.02, weight_decay: 0.01}"],
    ]
    static let sharded = ["distributed.shard_optimizer=true"]
    static let overlapSharded = ["distributed.overlap=true", "distributed.bucket_mb=0.004", "distributed.first_bucket_mb=0.0005",
                                 "distributed.shard_optimizer=true"]
    static let overlap = ["distributed.overlap=true", "distributed.bucket_mb=0.002", "distributed.first_bucket_mb=0.001"]

    @Test(arguments: optimizers)
    func simulatedWorldsWithAndWithoutShardingGiveTheSameBits(_ optimizer: [String]) throws {
        let (reference, summary) = try InvarianceTests.trainSimulated(ranks: 1, extra: optimizer)
        #expect(summary.paramsSHA256 != InvarianceTests.powerOfTwoHash, "the optimizer must change the run")
        for (ranks, variant) in [(2, []), (3, []), (2, Self.sharded), (3, Self.sharded), (4, Self.overlapSharded), (3, Self.overlap),
                                 (1, Self.overlap)] {
            let (archive, s) = try InvarianceTests.trainSimulated(ranks: ranks, extra: optimizer + variant)
            InvarianceTests.expectIdentical(reference, archive, "\(optimizer) W=\(ranks) \(variant)")
            #expect(s.paramsSHA256 == summary.paramsSHA256, "\(optimizer) W=\(ranks) \(variant)")
        }
    }

    /// Uneven worlds (12 micro-batches) and gradient clipping before the trust ratio.
    @Test(arguments: optimizers)
    func unevenWorldsWithClippingKeepTheirBits(_ optimizer: [String]) throws {
        let options = InvarianceTests.twelve + optimizer + ["train.grad_clip_norm=0.05", "seed=11"]
        let (reference, _) = try InvarianceTests.trainSimulated(ranks: 1, extra: options)
        for (ranks, variant) in [(5, Self.sharded), (7, Self.overlapSharded), (12, [])] {
            let (archive, _) = try InvarianceTests.trainSimulated(ranks: ranks, extra: options + variant)
            InvarianceTests.expectIdentical(reference, archive, "\(optimizer) W=\(ranks) \(variant)")
        }
    }

    /// The wide MLP's 288,000-element first weight spans many norm blocks and every rank's shard.
    @Test func wideMLPLayerNormsGatheredFromEveryShard() throws {
        func train(_ ranks: Int, _ variant: [String]) throws -> String {
            try OverlapShardingTests.trainWide(ranks, ["optimizer={type: lamb, lr: 0.01}"] + variant)
        }
        let reference = try train(1, [])
        for ranks in [2, 3] {
            #expect(try train(ranks, Self.sharded) == reference, "W=\(ranks) sharded")
        }
    }

    /// A LAMB checkpoint written sharded on 3 ranks resumes unsharded on 2 with the uninterrupted bits.
    @Test func shardedLAMBCheckpointResumesAtAnotherWorldSize() throws {
        func run(_ ranks: Int, steps: Int, _ extra: [String], out: String, resume: Bool = false) throws -> RunSummary {
            try OverlapShardingTests.checkpointedRun(ranks, steps: steps, Self.optimizers[1] + extra, out: out, resume: resume)
        }
        let whole = InvarianceTests.outputDirectory("lamb-whole"), sharded = InvarianceTests.outputDirectory("lamb-sharded")
        defer { for d in [whole, sharded] { try? FileManager.default.removeItem(atPath: d) } }
        let uninterrupted = try run(1, steps: 10, [], out: whole)
        _ = try run(3, steps: 5, Self.sharded, out: sharded)
        let resumed = try run(2, steps: 10, [], out: sharded, resume: true)
        #expect(resumed.paramsSHA256 == uninterrupted.paramsSHA256)
    }

    @Test(.enabled(if: LockstepProcess.mpirunAvailable), arguments: optimizers)
    func mpirunGivesTheSimulatedBits(_ optimizer: [String]) throws {
        let (reference, _) = try InvarianceTests.trainSimulated(ranks: 1, extra: optimizer)
        for (ranks, variant) in [(2, Self.sharded), (3, [String]()), (3, Self.overlapSharded)] {
            let out = InvarianceTests.outputDirectory("mpi-layerwise\(ranks)")
            defer { try? FileManager.default.removeItem(atPath: out) }
            let arguments = ["train", "--config", InvarianceTests.config, "--out", out, "--quiet"]
                + (InvarianceTests.overrides + optimizer + variant).flatMap { ["--set", $0] }
            let outcome = try LockstepProcess.mpirun(ranks: ranks, arguments)
            #expect(outcome.status == 0, "mpirun -np \(ranks): \(outcome.stderr)")
            let archive = try SafetensorsArchive(contentsOf: out + "/model.safetensors")
            InvarianceTests.expectIdentical(reference, archive, "\(optimizer) mpirun -np \(ranks) \(variant)")
        }
    }
}
