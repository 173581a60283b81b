import Testing
import Foundation
import TensorCore
import Distributed
import Checkpointing
import Training
import Config

/// The headline promise: the bits of a run do not depend on how many ranks ran it.
@Suite(.serialized)
struct InvarianceTests {
    static let config = LockstepProcess.repositoryRoot.appendingPathComponent("configs/clinical-mlp.yaml").path
    /// The reference model (BatchNorm and Dropout included), 30 steps, global batch 256, micro 32.
    static let overrides = ["train.steps=30", "train.eval_every=0", "batch.global=256", "batch.micro=32"]
    /// `params_sha256` of that run before the contract was extended to any world size (recorded with
    /// launch/verify-invariance.sh at commit 8182be3): n = 8 must keep it.
    static let powerOfTwoHash = "698d570690d134438ab732e0707bf023e1fecffce52c7cfd852ddef2035c917e"
    /// n = 12 micro-batches per step (global 384, micro 32), a few steps: every W from 1 to 12.
    static let twelve = ["batch.global=384", "train.steps=6"]

    static func outputDirectory(_ name: String) -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("lockstep-inv-\(name)-\(UUID().uuidString)")
        return dir.path
    }

    /// Trains on `ranks` simulated ranks and returns the written state dict and summary.
    static func trainSimulated(ranks: Int, extra: [String] = []) throws -> (archive: SafetensorsArchive, summary: RunSummary) {
        let config = try RunConfig.load(path: Self.config, overrides: Self.overrides + extra)
        let out = outputDirectory("sim\(ranks)")
        defer { try? FileManager.default.removeItem(atPath: out) }
        let summaries = try SimulatedWorld.run(ranks: ranks) { comm in
            let run = TrainingRun(config: config, outputDirectory: out, communicator: comm)
            run.showsProgress = false
            run.log = { _ in }
            return try run.run()
        }
        return (try SafetensorsArchive(contentsOf: out + "/model.safetensors"), summaries[0])
    }

    static func expectIdentical(_ a: SafetensorsArchive, _ b: SafetensorsArchive, _ label: String) {
        #expect(a.names == b.names, "\(label): tensor names")
        for ((name, x), (_, y)) in zip(a.tensors, b.tensors) {
            #expect(x.bitwiseEqual(y), "\(label): tensor \(name) differs")
        }
    }

    @Test func simulatedWorldSizesGiveByteIdenticalModels() throws {
        let (reference, summary) = try Self.trainSimulated(ranks: 1)
        #expect(summary.accumulation == 8 && summary.worldSize == 1)
        #expect(summary.paramsSHA256 == Self.powerOfTwoHash, "n = 8 must keep the hash it had before uneven worlds")
        for (ranks, accumulation) in [(2, 4), (4, 2), (8, 1)] {
            let (archive, s) = try Self.trainSimulated(ranks: ranks)
            #expect(s.worldSize == ranks && s.accumulation == accumulation)
            Self.expectIdentical(reference, archive, "W=\(ranks)")
            #expect(s.paramsSHA256 == summary.paramsSHA256, "W=\(ranks)")
            // Same parameters, so the same validation metrics.
            #expect(s.validation == summary.validation)
            #expect(s.finalTrainLoss == summary.finalTrainLoss)
        }
        // The check can fail: another micro-batch size (ghost batch norm) gives other bits.
        let (other, _) = try Self.trainSimulated(ranks: 1, extra: ["batch.micro=64"])
        #expect(other.paramsSHA256().hex != reference.paramsSHA256().hex)
    }

    @Test(.enabled(if: LockstepProcess.mpirunAvailable))
    func mpirunWorldSizesGiveTheSameModelAsSimulatedRanks() throws {
        let (reference, summary) = try Self.trainSimulated(ranks: 1)
        for ranks in [1, 2, 4] {
            let out = Self.outputDirectory("mpi\(ranks)")
            defer { try? FileManager.default.removeItem(atPath: out) }
            let arguments = ["train", "--config", Self.config, "--out", out, "--quiet"] + Self.overrides.flatMap { ["--set", $0] }
            let outcome = try LockstepProcess.mpirun(ranks: ranks, arguments)
            #expect(outcome.status == 0, "mpirun -np \(ranks): \(outcome.stderr)")
            let archive = try SafetensorsArchive(contentsOf: out + "/model.safetensors")
            Self.expectIdentical(reference, archive, "mpirun -np \(ranks)")
            let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/summary.json"))) as! [String: Any]
            #expect(json["params_sha256"] as? String == summary.paramsSHA256)
            #expect(json["world_size"] as? Int == ranks)
        }
    }

    @Test func aCheckpointResumedAtAnotherWorldSizeContinuesBitForBit() throws {
        let (uninterrupted, summary) = try Self.trainSimulated(ranks: 1)
        let config = try RunConfig.load(path: Self.config, overrides: Self.overrides + ["output.checkpoint_every=10"])
        let out = Self.outputDirectory("resume")
        defer { try? FileManager.default.removeItem(atPath: out) }
        // One rank crashes after step 15; the newest checkpoint is step 10.
        #expect(throws: TrainingError("injected fault after step 15")) {
            let run = TrainingRun(config: config, outputDirectory: out)
            run.showsProgress = false
            run.log = { _ in }
            run.faultInjection = FaultInjection("throw:0:15")
            try run.run()
        }
        #expect(!FileManager.default.fileExists(atPath: out + "/model.safetensors"))
        // Resume on 4 simulated ranks.
        let resumed = try SimulatedWorld.run(ranks: 4) { comm in
            let run = TrainingRun(config: config, outputDirectory: out, communicator: comm, resume: true)
            run.showsProgress = false
            run.log = { _ in }
            return try run.run()
        }
        #expect(resumed[0].paramsSHA256 == summary.paramsSHA256)
        Self.expectIdentical(uninterrupted, try SafetensorsArchive(contentsOf: out + "/model.safetensors"), "resumed at W=4")
    }

    /// n = 12, the reference model with BatchNorm and Dropout: one model for every W = 1…12, blocks
    /// of uneven length included (W = 5: 3, 3, 2, 2, 2 micro-batches).
    @Test func everyWorldSizeUpToTwelveGivesOneModel() throws {
        let (reference, summary) = try Self.trainSimulated(ranks: 1, extra: Self.twelve)
        #expect(summary.accumulation == 12)
        for ranks in 2...12 {
            let (archive, s) = try Self.trainSimulated(ranks: ranks, extra: Self.twelve)
            #expect(s.worldSize == ranks && s.accumulation == (12 + ranks - 1) / ranks)
            Self.expectIdentical(reference, archive, "n = 12, W=\(ranks)")
            #expect(s.paramsSHA256 == summary.paramsSHA256, "n = 12, W=\(ranks)")
            #expect(s.finalTrainLoss == summary.finalTrainLoss, "n = 12, W=\(ranks): reported loss")
        }
        // n = 12 is another global batch than n = 8, so another model: the comparison can fail.
        #expect(summary.paramsSHA256 != Self.powerOfTwoHash)
    }

    @Test(.enabled(if: LockstepProcess.mpirunAvailable))
    func mpirunUnevenWorldSizesGiveTheSameModelAsOneRank() throws {
        let (reference, summary) = try Self.trainSimulated(ranks: 1, extra: Self.twelve)
        for ranks in [1, 3, 5] {
            let out = Self.outputDirectory("mpi12-\(ranks)")
            defer { try? FileManager.default.removeItem(atPath: out) }
            let arguments = ["train", "--config", Self.config, "--out", out, "--quiet"]
                + (Self.overrides + Self.twelve).flatMap { ["--set", $0] }
            let outcome = try LockstepProcess.mpirun(ranks: ranks, arguments)
            #expect(outcome.status == 0, "mpirun -np \(ranks): \(outcome.stderr)")
            let archive = try SafetensorsArchive(contentsOf: out + "/model.safetensors")
            Self.expectIdentical(reference, archive, "n = 12, mpirun -np \(ranks)")
            let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/summary.json"))) as! [String: Any]
            #expect(json["params_sha256"] as? String == summary.paramsSHA256)
            #expect(json["world_size"] as? Int == ranks)
        }
    }

    @Test func aCheckpointWrittenAtFiveRanksResumesAtThreeBitForBit() throws {
        let steps = ["train.steps=9"]
        let (uninterrupted, summary) = try Self.trainSimulated(ranks: 1, extra: Self.twelve + steps)
        let config = try RunConfig.load(path: Self.config, overrides: Self.overrides + Self.twelve + steps + ["output.checkpoint_every=3"])
        let out = Self.outputDirectory("resume53")
        defer { try? FileManager.default.removeItem(atPath: out) }
        // Rank 4 of 5 crashes after step 5; the newest checkpoint is step 3.
        #expect(throws: WorldFailure(rank: 4, reason: "injected fault after step 5")) {
            _ = try SimulatedWorld.run(ranks: 5) { comm in
                let run = TrainingRun(config: config, outputDirectory: out, communicator: comm)
                run.showsProgress = false
                run.log = { _ in }
                run.faultInjection = FaultInjection("throw:4:5")
                return try run.run()
            }
        }
        #expect(!FileManager.default.fileExists(atPath: out + "/model.safetensors"))
        let resumed = try SimulatedWorld.run(ranks: 3) { comm in
            let run = TrainingRun(config: config, outputDirectory: out, communicator: comm, resume: true)
            run.showsProgress = false
            run.log = { _ in }
            return try run.run()
        }
        #expect(resumed[0].paramsSHA256 == summary.paramsSHA256)
        Self.expectIdentical(uninterrupted, try SafetensorsArchive(contentsOf: out + "/model.safetensors"), "W=5 → W=3")
    }

    /// The `mpi` reduction runs at uneven world sizes too (W = 5 on n = 12: ranks 0 and 1 hold two
    /// fragments each, which they add before the allreduce); it is not invariant, only close.
    @Test func mpiReductionRunsAtAnUnevenWorldSize() throws {
        let (deterministic, _) = try Self.trainSimulated(ranks: 5, extra: Self.twelve)
        let (library, s) = try Self.trainSimulated(ranks: 5, extra: Self.twelve + ["distributed.reduction=mpi"])
        #expect(s.reduction == "mpi" && s.worldSize == 5)
        for ((name, x), (_, y)) in zip(deterministic.tensors, library.tensors) where x.dtype == .float32 {
            for i in 0..<x.count {
                let (a, b) = (x.element(i), y.element(i))
                #expect(abs(a - b) <= 1e-4 * max(1, abs(a)), "\(name)[\(i)]: \(a) vs \(b)")
            }
        }
    }

    @Test func mpiReductionAgreesWithDeterministicToRounding() throws {
        let (deterministic, _) = try Self.trainSimulated(ranks: 4)
        let (library, s) = try Self.trainSimulated(ranks: 4, extra: ["distributed.reduction=mpi"])
        #expect(s.reduction == "mpi")
        var identical = true
        for ((name, x), (_, y)) in zip(deterministic.tensors, library.tensors) where x.dtype == .float32 {
            identical = identical && x.bitwiseEqual(y)
            for i in 0..<x.count {
                let (a, b) = (x.element(i), y.element(i))
                #expect(abs(a - b) <= 1e-5 * max(1, abs(a)), "\(name)[\(i)]: \(a) vs \(b)")
            }
        }
        // Rank-order summation is a different grouping from the tree: the bits are expected to move.
        #expect(!identical)
    }

    @Test func aDivergentReplicaStopsTheRun() throws {
        let config = try RunConfig.load(path: Self.config, overrides: Self.overrides)
        let data = try PreparedData(config: config)
        let messages = try SimulatedWorld.run(ranks: 2) { comm -> String in
            let trainer = try Trainer(config: config, data: data, communicator: comm)
            try trainer.broadcastState()
            try trainer.checkReplicas()
            try trainer.step()
            try trainer.step()
            if comm.rank == 1 {
                let w = trainer.model.namedParameters()[0].tensor
                w.setElement(0, w.element(0) + 1e-3)
            }
            do {
                try trainer.checkReplicas()
                return "no error"
            } catch {
                return "\(error)"
            }
        }
        for message in messages {
            #expect(message == "replicas diverged after step 2: the parameters of rank 1 differ from rank 0's")
        }
    }

    @Test func aRankThatThrowsEndsTheSimulatedWorld() throws {
        let start = Date()
        let outcome = try LockstepProcess.run(["train", "--config", Self.config, "--ranks", "4", "--quiet",
                                               "--out", Self.outputDirectory("fault"), "--inject-fault", "throw:2:3"]
                                              + Self.overrides.flatMap { ["--set", $0] })
        #expect(outcome.status != 0)
        #expect(outcome.stderr.contains("rank 2 failed: injected fault after step 3"))
        #expect(Date().timeIntervalSince(start) < 60)
    }

    @Test(.enabled(if: LockstepProcess.mpirunAvailable), arguments: ["throw", "kill", "hang"])
    func aFailingMPIRankEndsTheJobWithinSeconds(kind: String) throws {
        let out = Self.outputDirectory("mpifault")
        defer { try? FileManager.default.removeItem(atPath: out) }
        // Only the hang needs the watchdog; the other faults must end the job without it.
        let timeout = kind == "hang" ? ["--timeout", "5"] : []
        let outcome = try LockstepProcess.mpirun(ranks: 2, ["train", "--config", Self.config, "--quiet", "--out", out,
                                                            "--inject-fault", "\(kind):1:3"] + timeout
                                                 + Self.overrides.flatMap { ["--set", $0] }, timeout: 60)
        #expect(!outcome.timedOut)
        #expect(outcome.status != 0)
        #expect(outcome.seconds < 30)
        let expected = switch kind {
        case "throw": "error: rank 1 of 2: injected fault after step 3"
        case "kill": "process rank 1"
        default: "no training progress for 5 s (limit --timeout 5 s)"
        }
        #expect(outcome.stderr.contains(expected), "\(outcome.stderr)")
        // Nothing half-written: no model or summary from an aborted run.
        #expect(!FileManager.default.fileExists(atPath: out + "/model.safetensors"))
        #expect(!FileManager.default.fileExists(atPath: out + "/summary.json"))
    }

    @Test func aHungSimulatedRankIsStoppedByTheTimeout() throws {
        let outcome = try LockstepProcess.run(["train", "--config", Self.config, "--ranks", "2", "--quiet", "--timeout", "3",
                                               "--out", Self.outputDirectory("hang"), "--inject-fault", "hang:1:3"]
                                              + Self.overrides.flatMap { ["--set", $0] }, timeout: 60)
        #expect(!outcome.timedOut)
        #expect(outcome.status != 0)
        #expect(outcome.stderr.contains("no training progress for 3 s"), "\(outcome.stderr)")
    }

    @Test(.enabled(if: LockstepProcess.mpirunAvailable))
    func ranksFlagUnderMpirunIsRefused() throws {
        let outcome = try LockstepProcess.mpirun(ranks: 1, ["train", "--config", Self.config, "--ranks", "2"])
        #expect(outcome.status != 0)
        #expect(outcome.stderr.contains("--ranks and mpirun exclude each other"))
    }

    @Test func moreRanksThanMicroBatchesAreRefused() throws {
        let outcome = try LockstepProcess.run(["train", "--config", Self.config, "--ranks", "9", "--quiet",
                                               "--out", Self.outputDirectory("div")] + Self.overrides.flatMap { ["--set", $0] })
        #expect(outcome.status != 0)
        let lines = outcome.stderr.split(separator: "\n")
        #expect(lines.count == 1, "\(outcome.stderr)")
        // The CLI refuses it before starting the ranks; BatchPlan's own check (BatchPlanTests) backs it.
        #expect(outcome.stderr.contains("--ranks 9: world size 9 exceeds the 8 micro-batches per step (batch.global 256 / batch.micro 32): use at most 8 ranks"), "\(outcome.stderr)")
    }

    @Test func aGlobalBatchThatIsNoMultipleOfTheMicroBatchIsRefused() throws {
        let outcome = try LockstepProcess.run(["train", "--config", Self.config, "--ranks", "3", "--quiet",
                                               "--out", Self.outputDirectory("div"), "--set", "batch.global=250"])
        #expect(outcome.status != 0)
        #expect(outcome.stderr.split(separator: "\n").count == 1, "\(outcome.stderr)")
        #expect(outcome.stderr.contains("batch.global 250 is not divisible by batch.micro 32"))
    }
}
