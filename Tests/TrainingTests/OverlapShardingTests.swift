import Testing
import Foundation
import TensorCore
import Distributed
import Checkpointing
import Training
import Config

/// Bucketed overlap and ZeRO-1 optimizer sharding keep the contract: the same bits for every
/// combination of overlap, bucket size, sharding and world size, and checkpoints that do not depend
/// on any of them.
@Suite(.serialized)
struct OverlapShardingTests {
    /// The execution options under test, as `--set` overrides (bucket sizes in MB: 0.001 cuts the
    /// reference model's 3.5 k parameters into several buckets; 1 and 25 hold it whole).
    static let variants: [[String]] = [
        [],
        ["distributed.overlap=true", "distributed.bucket_mb=0.001", "distributed.first_bucket_mb=0.001"],
        ["distributed.overlap=true", "distributed.bucket_mb=0.01", "distributed.first_bucket_mb=0.002"],
        ["distributed.overlap=true", "distributed.bucket_mb=1"],
        ["distributed.overlap=true", "distributed.bucket_mb=25"],
        ["distributed.shard_optimizer=true"],
        ["distributed.overlap=true", "distributed.bucket_mb=0.004", "distributed.first_bucket_mb=0.0005",
         "distributed.shard_optimizer=true"],
        // `auto`: the first steps without overlap, then with it, then the faster (the trial ends at step 9 of 30).
        ["distributed.overlap=auto", "distributed.bucket_mb=0.002", "distributed.first_bucket_mb=0.001"],
        ["distributed.overlap=auto", "distributed.bucket_mb=0.004", "distributed.first_bucket_mb=0.0005",
         "distributed.shard_optimizer=true"],
    ]

    @Test func referenceModelHashIsTheSameForEveryOverlapBucketShardAndWorldSize() throws {
        for variant in Self.variants {
            for ranks in [1, 2, 4, 8] {
                let (_, summary) = try InvarianceTests.trainSimulated(ranks: ranks, extra: variant)
                #expect(summary.paramsSHA256 == InvarianceTests.powerOfTwoHash, "W=\(ranks) \(variant)")
            }
        }
    }

    /// Other sizes and options: 12 micro-batches on uneven worlds, AdamW with clipping that bites
    /// (the sharded norm is gathered from per-shard block sums), another seed.
    @Test func unevenWorldsWithAdamWAndClippingKeepTheirBits() throws {
        let options = InvarianceTests.twelve + ["optimizer.type=adamw", "optimizer.lr=0.01", "train.grad_clip_norm=0.05", "seed=11"]
        let (reference, summary) = try InvarianceTests.trainSimulated(ranks: 1, extra: options)
        for (ranks, variant) in [(3, Self.variants[6]), (5, Self.variants[5]), (12, Self.variants[1]), (7, Self.variants[6])] {
            let (archive, s) = try InvarianceTests.trainSimulated(ranks: ranks, extra: options + variant)
            InvarianceTests.expectIdentical(reference, archive, "W=\(ranks) \(variant)")
            #expect(s.paramsSHA256 == summary.paramsSHA256)
        }
    }

    /// The wide MLP's shape (linear layers, cross-entropy), scaled down to stay quick; its first layer
    /// is tall enough (3,000 × 96: two row panels of `Tensor.linearWeightGradientPanels`) that backward
    /// reports its weight in parts and buckets are cut inside it.
    static let wide = ["data.features=96", "model.input=96", "data.samples=1024", "model.layers[0].out=3000",
                       "model.layers[2].out=128", "model.layers[4].out=160", "batch.global=64", "batch.micro=16",
                       "train.steps=6"]

    /// `params_sha256` of the scaled-down wide MLP (`wide`, then `overrides`) on `ranks` simulated ranks.
    static func trainWide(_ ranks: Int, _ overrides: [String]) throws -> String {
        let path = LockstepProcess.repositoryRoot.appendingPathComponent("configs/wide-mlp.yaml").path
        let config = try RunConfig.load(path: path, overrides: wide + overrides)
        let out = InvarianceTests.outputDirectory("wide\(ranks)")
        defer { try? FileManager.default.removeItem(atPath: out) }
        return try SimulatedWorld.run(ranks: ranks) { comm in
            let run = TrainingRun(config: config, outputDirectory: out, communicator: comm)
            run.showsProgress = false
            run.log = { _ in }
            return try run.run().paramsSHA256
        }[0]
    }

    @Test func wideMLPHashIsTheSameForEveryOverlapShardAndWorldSize() throws {
        let train = Self.trainWide
        let reference = try train(1, [])
        let buckets = ["distributed.overlap=true", "distributed.bucket_mb=0.05", "distributed.first_bucket_mb=0.01"]
        for ranks in [1, 2, 4] {
            for variant in [buckets, ["distributed.shard_optimizer=true"], buckets + ["distributed.shard_optimizer=true"]] {
                #expect(try train(ranks, variant) == reference, "W=\(ranks) \(variant)")
            }
        }
    }

    /// A sharded run's checkpoint holds the whole optimizer state, the same tensors as an unsharded
    /// run's; it resumes unsharded at another world size (and the reverse) with the uninterrupted bits.
    @Test func shardedCheckpointsHoldTheWholeStateAndResumeAnywhere() throws {
        let common = ["optimizer.type=adamw", "optimizer.lr=0.01"]
        func run(_ ranks: Int, steps: Int, _ extra: [String], out: String, resume: Bool = false) throws -> RunSummary {
            try Self.checkpointedRun(ranks, steps: steps, common + extra, out: out, resume: resume)
        }
        let whole = InvarianceTests.outputDirectory("whole"), sharded = InvarianceTests.outputDirectory("sharded")
        defer { for d in [whole, sharded] { try? FileManager.default.removeItem(atPath: d) } }
        let uninterrupted = try run(1, steps: 10, [], out: whole)
        _ = try run(3, steps: 5, ["distributed.shard_optimizer=true"], out: sharded)
        let a = try SafetensorsArchive(contentsOf: whole + "/checkpoints/step-00000005.safetensors")
        let b = try SafetensorsArchive(contentsOf: sharded + "/checkpoints/step-00000005.safetensors")
        let optimizerNames = a.names.filter { $0.hasPrefix("optimizer.") }
        #expect(!optimizerNames.isEmpty)
        #expect(b.names.filter { $0.hasPrefix("optimizer.") } == optimizerNames)
        InvarianceTests.expectIdentical(a, b, "checkpoint at step 5, sharded W=3 against unsharded W=1")
        // Resumed unsharded on 2 ranks (the config's execution options may change without --allow-config-change).
        let resumed = try run(2, steps: 10, [], out: sharded, resume: true)
        #expect(resumed.paramsSHA256 == uninterrupted.paramsSHA256)
        // And an unsharded checkpoint resumed sharded on 5 ranks with overlap.
        let again = InvarianceTests.outputDirectory("again")
        defer { try? FileManager.default.removeItem(atPath: again) }
        _ = try run(2, steps: 5, [], out: again)
        let reshard = try run(5, steps: 10, ["distributed.shard_optimizer=true", "distributed.overlap=true",
                                              "distributed.bucket_mb=0.002"], out: again, resume: true)
        #expect(reshard.paramsSHA256 == uninterrupted.paramsSHA256)
    }

    /// The reference run for `steps` steps with a checkpoint every 5, on `ranks` simulated ranks into
    /// `out`, resuming from its checkpoints when asked (`train.steps` may grow).
    static func checkpointedRun(_ ranks: Int, steps: Int, _ extra: [String], out: String, resume: Bool = false) throws -> RunSummary {
        let overrides = InvarianceTests.overrides.filter { !$0.hasPrefix("train.steps") } + ["output.checkpoint_every=5", "train.steps=\(steps)"]
        let config = try RunConfig.load(path: InvarianceTests.config, overrides: overrides + extra)
        return try SimulatedWorld.run(ranks: ranks) { comm in
            let run = TrainingRun(config: config, outputDirectory: out, communicator: comm, resume: resume)
            run.showsProgress = false
            run.log = { _ in }
            run.allowedConfigChanges = ["train.steps"]
            return try run.run()
        }[0]
    }

    /// A rank whose collective fails in the middle of an overlapped reduction ends the world promptly:
    /// no communication thread is left waiting.
    @Test(.timeLimit(.minutes(1)), arguments: [false, true])
    func aCollectiveFailingOnTheCommunicationThreadEndsTheWorld(sharded: Bool) throws {
        let overrides = InvarianceTests.overrides + Self.variants[1] + (sharded ? ["distributed.shard_optimizer=true"] : [])
        let config = try RunConfig.load(path: InvarianceTests.config, overrides: overrides)
        let start = Date()
        #expect(throws: (any Error).self) {
            _ = try SimulatedWorld.run(ranks: 4) { comm in
                let failing = FailingCommunicator(comm, failOnRank: 2, afterExchanges: 40)
                let trainer = try Trainer(config: config, data: PreparedData(config: config), communicator: failing)
                for _ in 0..<config.train.steps { try trainer.step() }
            }
        }
        #expect(Date().timeIntervalSince(start) < 30)
    }

    @Test(.enabled(if: LockstepProcess.mpirunAvailable))
    func mpirunWithOverlapAndShardingGivesTheReferenceHash() throws {
        for (ranks, variant) in [(1, Self.variants[6]), (2, Self.variants[1]), (2, Self.variants[6]), (4, Self.variants[6]),
                                 (4, Self.variants[5]), (2, Self.variants[8])] {
            let out = InvarianceTests.outputDirectory("mpi-ovl\(ranks)")
            defer { try? FileManager.default.removeItem(atPath: out) }
            let arguments = ["train", "--config", InvarianceTests.config, "--out", out, "--quiet"]
                + (InvarianceTests.overrides + variant).flatMap { ["--set", $0] }
            let outcome = try LockstepProcess.mpirun(ranks: ranks, arguments)
            #expect(outcome.status == 0, "mpirun -np \(ranks) \(variant): \(outcome.stderr)")
            let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/summary.json"))) as! [String: Any]
            #expect(json["params_sha256"] as? String == InvarianceTests.powerOfTwoHash, "mpirun -np \(ranks) \(variant)")
        }
    }

    @Test func shardingWithTheMPIReductionAndBucketsOfNoSizeAreRefused() throws {
        for (set, message) in [("distributed.shard_optimizer=true", "shard_optimizer: needs reduction: deterministic"),
                               ("distributed.bucket_mb=0", "bucket_mb: expected a positive number, got 0"),
                               ("distributed.first_bucket_mb=-1", "first_bucket_mb: expected a positive number, got -1")] {
            var extra = ["--set", set]
            if set.hasPrefix("distributed.shard") { extra += ["--set", "distributed.reduction=mpi"] }
            let outcome = try LockstepProcess.run(["train", "--config", InvarianceTests.config, "--quiet",
                                                   "--out", InvarianceTests.outputDirectory("bad")] + extra)
            #expect(outcome.status != 0)
            #expect(outcome.stderr.split(separator: "\n").count == 1, "\(outcome.stderr)")
            #expect(outcome.stderr.contains(message), "\(outcome.stderr)")
        }
    }
}

/// Forwards to a real communicator, but throws on one rank after a number of exchanges (as a
/// transport error would), whichever thread makes the call.
final class FailingCommunicator: Communicator {
    struct Failure: Error, CustomStringConvertible { var description: String { "injected transport failure" } }
    let inner: Communicator
    let failOnRank: Int
    private var left: Int
    private let lock = NSLock()

    init(_ inner: Communicator, failOnRank: Int, afterExchanges: Int) {
        self.inner = inner
        self.failOnRank = failOnRank
        left = afterExchanges
    }

    var rank: Int { inner.rank }
    var worldSize: Int { inner.worldSize }

    private func tick() throws {
        guard rank == failOnRank else { return }
        lock.lock(); defer { lock.unlock() }
        left -= 1
        if left < 0 { throw Failure() }
    }

    func allReduceSum(_ buffer: UnsafeMutableBufferPointer<Float>) throws { try tick(); try inner.allReduceSum(buffer) }
    func broadcast(_ buffer: UnsafeMutableRawBufferPointer, root: Int) throws { try inner.broadcast(buffer, root: root) }
    func sendReceive(send: UnsafeBufferPointer<Float>, to destination: Int,
                     receive: UnsafeMutableBufferPointer<Float>, from source: Int) throws {
        try tick()
        try inner.sendReceive(send: send, to: destination, receive: receive, from: source)
    }
    func barrier() throws { try inner.barrier() }
}

extension OverlapShardingTests {
    /// ZeRO-1's memory promise, from the trainer's own state tensors: each rank holds 1/W of the
    /// optimizer state, within the shard cut's blocks (plus the step counters).
    @Test(arguments: [2, 3, 4])
    func shardedOptimizerStateIsOneWthPerRank(ranks: Int) throws {
        let path = LockstepProcess.repositoryRoot.appendingPathComponent("configs/wide-mlp.yaml").path
        func bytes(_ sharded: Bool) throws -> [Int] {
            let c = try RunConfig.load(path: path, overrides: Self.wide + ["optimizer={type: adamw, lr: 0.001}",
                                                                           "batch.global=192", "batch.micro=16",
                                                                           "distributed.shard_optimizer=\(sharded)"])
            let data = try PreparedData(config: c)
            return try SimulatedWorld.run(ranks: ranks) { comm in
                let trainer = try Trainer(config: c, data: data, communicator: comm)
                return trainer.optimizer.stateTensors().reduce(0) { $0 + $1.tensor.byteCount }
            }
        }
        let whole = try bytes(false), sharded = try bytes(true)
        #expect(Set(whole).count == 1)
        // Shards are cut on 1,024-element blocks, and the buffer's last block is partial: a rank may be
        // up to a block from its 1/W, and the rank with the partial block up to two (2 slots of 4 bytes).
        let slack = 2 * (2 * 1024 * 4) + 8 * 8
        for (r, b) in sharded.enumerated() {
            #expect(abs(b - whole[0] / ranks) <= slack, "rank \(r) of \(ranks): \(b) bytes, whole \(whole[0])")
        }
    }
}
