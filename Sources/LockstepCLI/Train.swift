#if canImport(Glibc)
@preconcurrency import Glibc   // C's `stdout` global, touched once before any thread starts
#elseif canImport(Darwin)
@preconcurrency import Darwin
#endif
import Foundation
import ArgumentParser
import Training
import Config
import Distributed
import Benchmarks
import DistributedMPI

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a model from a config; writes metrics.jsonl, model.safetensors and summary.json.")

    @OptionGroup var options: ConfigOptions
    @OptionGroup var verification: VerifyOptions

    @Option(help: "Output directory (default: the config's output.dir).")
    var out: String?

    @Option(help: "Start from this state dict (safetensors, e.g. saved by PyTorch's safetensors.torch.save_file).")
    var `init`: String?

    @Flag(help: "Resume from the newest checkpoint in OUT/checkpoints, if there is one.")
    var resume = false

    @Flag(help: "Replace the run already in OUT: its files are removed first (without this or --resume, such a folder is refused).")
    var overwrite = false

    @Flag(help: "With --resume: continue although the data differ from what data.json records (the earlier record is kept).")
    var allowDataChange = false

    @Flag(help: "No live progress line (metrics still go to metrics.jsonl).")
    var quiet = false

    @Option(help: "Run N ranks as threads of this process (simulated data parallelism). Under mpirun, leave it out: the world is mpirun's.")
    var ranks: Int?

    @Option(help: "Seconds without progress (a step, an evaluation, a checkpoint) after which every rank is aborted.")
    var timeout: Double = 600

    @Option(help: "Charge a modelled network's time on every transfer: 1gbit, 10gbit, 25gbit, 100gbit or LAT_US,GBPS (see docs/scaling.md).")
    var network: String?

    @Option(help: "Write a Chrome trace-event timeline of every rank's steps, reductions, evaluations and checkpoints (Perfetto).")
    var timeline: String?

    @Option(help: ArgumentHelp("Fail one rank on purpose after a step, KIND:RANK:STEP with KIND throw, kill or hang (for fault-handling tests).", visibility: .hidden))
    var injectFault: String?

    @Option(parsing: .upToNextOption, help: ArgumentHelp("With --resume: config keys that may differ from the checkpoint's (e.g. train.steps to train longer).", valueName: "key"))
    var allowConfigChange: [String] = []

    @Option(help: "With --ranks: when a rank fails, restart from the newest checkpoint on the ranks that are left, at most this many times (torchrun's --max-restarts). Under mpirun, use `lockstep launch`.")
    var maxRestarts = 0

    @Option(help: "With --max-restarts: the fewest ranks a restarted run may have.")
    var minRanks = 1

    @Option(help: ArgumentHelp("Which restart this process is (set by `lockstep launch`).", visibility: .hidden))
    var restartNumber = 0

    @Option(help: ArgumentHelp("What ended the previous segment (set by `lockstep launch`).", visibility: .hidden))
    var restartCause: String?

    func validate() throws {
        if let injectFault, FaultInjection(injectFault) == nil {
            throw ValidationError("--inject-fault expects KIND:RANK:STEP with KIND throw, kill or hang, got '\(injectFault)'")
        }
        if let network { _ = try NetworkModel(parsing: network) }   // one line naming the bad spec
        if let timeline { try ReportFiles.checkWritable(timeline, what: "timeline") }   // one line, no usage text
        guard timeout > 0 else { throw ValidationError("--timeout must be positive, got \(timeout)") }
        if resume && `init` != nil { throw ValidationError("--resume and --init exclude each other: a resumed run continues from its checkpoint") }
        // A restart (`lockstep launch` adds --resume and --restart-number) keeps what the first attempt overwrote.
        if resume && overwrite && restartNumber == 0 {
            throw TrainingError("--resume and --overwrite exclude each other: one continues the run in OUT, the other replaces it")   // one line, no usage text
        }
        for (flag, given) in [("--allow-config-change", !allowConfigChange.isEmpty), ("--allow-data-change", allowDataChange)] where given && !resume {
            throw TrainingError("\(flag) goes with --resume: it says what a resumed run may change")
        }
        if let ranks, ranks < 1 { throw ValidationError("--ranks must be at least 1, got \(ranks)") }
        if ranks != nil && World.isMPILaunch {
            throw ValidationError("--ranks and mpirun exclude each other: under mpirun the world size is mpirun's -np")
        }
        guard maxRestarts >= 0, minRanks >= 1 else {
            throw ValidationError("--max-restarts must be at least 0 and --min-ranks at least 1, got \(maxRestarts) and \(minRanks)")
        }
        if maxRestarts > 0 && World.isMPILaunch {
            throw ValidationError("--max-restarts under mpirun: restarts need a supervisor outside the job; use `lockstep launch --np N --max-restarts K -- train …`")
        }
    }

    /// Simulated ranks are threads of this process, each with a replica of the model: beyond this
    /// many, a typo (`--ranks 10000`) is more likely than a plan.
    static let maximumSimulatedRanks = 256

    func run() throws {
        let config = try options.load()
        // A bad --ranks costs nothing (no threads, no data) and fails in one line: this, and the
        // world-size check `World.run` makes before starting any rank.
        if let ranks, ranks > Self.maximumSimulatedRanks, ranks <= config.microBatchesPerStep {
            throw TrainingError("--ranks \(ranks) is more than the \(Self.maximumSimulatedRanks) simulated ranks one process runs; use mpirun for more")
        }
        if let timeline { try checkTimeline(timeline, config: config) }
        let fault = injectFault.flatMap(FaultInjection.init)
        StopSignal.install()
        // Log lines reach a file or pipe as they are printed (`tail -f`, a scheduler's log), not in
        // 4 KiB blocks at exit.
        setvbuf(stdout, nil, _IOLBF, 0)
        let supervisor = RestartSupervisor(maxRestarts: maxRestarts, minRanks: minRanks)
        let summary: RunSummary?
        do {
            summary = try supervisor.run(ranks: ranks ?? 1, first: .init(number: restartNumber, cause: restartCause)) { attempt in
                let restarted = attempt.restart.number > restartNumber
                return try train(config, Attempt(ranks: restarted ? attempt.ranks : ranks, resume: resume || restarted,
                                                 overwrite: overwrite && !resume && !restarted,
                                                 fault: restarted ? nil : fault, restart: attempt.restart))
            }
        } catch let interrupted as RunInterrupted {
            throw ExitCode(interrupted.exitCode)   // each rank has said so in one line
        }
        guard let summary else { return }   // not rank 0
        var line = "done: \(summary.steps) steps, final train loss \(String(format: "%.4f", summary.finalTrainLoss)), "
            + "\(Int(summary.samplesPerSecond)) samples/s"
        if let auc = summary.validation.auc { line += ", validation auc \(String(format: "%.4f", auc))" }
        if let accuracy = summary.validation.accuracy { line += ", validation accuracy \(String(format: "%.4f", accuracy))" }
        print(line)
        // The last line a collapsed run prints (`TrainingRun.warn` is silenced below to say it here).
        if let collapse = summary.collapse { FileHandle.standardError.write(Data("warning: \(collapse); summary.json records it\n".utf8)) }
    }

    /// What can be refused from the config and the world size alone, before anything is allocated (and,
    /// for simulated ranks, before any thread starts): more ranks than a step has micro-batches, and a
    /// run that cannot fit in memory.
    static func checkWorldSize(_ worldSize: Int, _ config: RunConfig) throws {
        do {
            _ = try config.accumulationSteps(worldSize: worldSize)   // BatchPlan's arithmetic, worded in the config's terms
        } catch let error as ConfigError {
            throw TrainingError("\(World.isMPILaunch ? "mpirun -np" : "--ranks") \(worldSize): \(error.message)")
        }
        // Simulated ranks share this process's memory; MPI ranks each hold one replica.
        try ResourceEstimate(config).check(replicas: World.isMPILaunch ? 1 : worldSize)
    }

    /// One try at the run: its world size, whether it resumes, and which restart it is.
    struct Attempt {
        var ranks: Int?
        var resume: Bool
        var overwrite: Bool
        var fault: FaultInjection?
        var restart: RunSegment.Restart
    }

    /// Runs the training on every rank of the world this process belongs to; rank 0's summary.
    private func train(_ config: RunConfig, _ attempt: Attempt) throws -> RunSummary? {
        let (out, initPath, quiet, timeout, timelinePath) = (self.out, self.`init`, self.quiet, self.timeout, self.timeline)
        // --network overrides the config's distributed.network.
        let network = try self.network.map { try NetworkModel(parsing: $0) }
            ?? config.distributed.network.map { try NetworkModel(latencyMicroseconds: $0.latencyUs, gigabitsPerSecond: $0.gbps) }
        return try World.run(ranks: attempt.ranks, precheck: { try Self.checkWorldSize($0, config) }) { world in
            let comm: Communicator = network.map { ShapedCommunicator(world, network: $0) } ?? world
            // One watchdog per process: simulated ranks share it (any rank's step is progress).
            let watchdog = comm.rank == 0 || World.isMPILaunch ? Watchdog(timeout: timeout, rank: comm.rank) : nil
            // Under MPI, `World.run` finalizes MPI after this returns: the watchdog bounds that too.
            defer { if World.isMPILaunch { watchdog?.watchFinalize() } else { watchdog?.stop() } }
            let run = TrainingRun(config: config, outputDirectory: out, communicator: comm, initialStatePath: initPath,
                                  resume: attempt.resume)
            run.showsProgress = !quiet
            run.warn = { _ in }   // said after the "done" line, as the run's last line
            run.faultInjection = attempt.fault
            run.restart = attempt.restart
            // The failed attempt's rank 0 ends within its watchdog's --timeout (+ the abort's grace).
            run.restartLockWait = max(30, timeout + Double(MPIRuntime.abortGrace) + 20)
            run.allowedConfigChanges = Set(allowConfigChange)
            run.allowsDataChange = allowDataChange
            run.overwrite = attempt.overwrite
            run.verifiesFiles = verification.verify
            run.onProgress = { watchdog?.beat() }
            run.stopRequest = StopSignal.requested
            run.timeline = timelinePath.map { _ in StepTimeline(origin: 0) }
            do {
                let summary = try run.run()
                if let timelinePath, let timeline = run.timeline { try TraceEventFile.gatherAndWrite(timeline, over: comm, to: timelinePath) }
                return summary
            } catch let interrupted as RunInterrupted {
                // Said here, on the rank, before MPI winds down: mpirun may end the ranks soon after
                // it forwarded the signal.
                let prefix = comm.worldSize > 1 && World.isMPILaunch ? "rank \(comm.rank): " : ""
                if prefix.isEmpty ? comm.rank == 0 : true {
                    FileHandle.standardError.write(Data("\(prefix)\(interrupted); resume with: \(resumeCommand(ranks: attempt.ranks))\n".utf8))
                }
                throw interrupted
            }
        }
    }

    /// The timeline is written at the end: it must not land on the run's own files or on what the
    /// run reads (compared by device and inode), which the run would otherwise lose after training.
    private func checkTimeline(_ timeline: String, config: RunConfig) throws {
        var inputs = [options.config]
        if case .csv(let path, _) = config.data.source { inputs.append(path) }
        if let validation = config.data.options.validationPath { inputs.append(validation) }
        try OutputGuard.check(timeline, option: "--timeline", inputs: inputs, runFolders: [out ?? config.output.dir])
    }

    /// The command that continues this run from its newest checkpoint.
    private func resumeCommand(ranks: Int?) -> String {
        var words = ["lockstep", "train", "--config", options.config] + options.overrides.flatMap { ["--set", $0] }
        if let out { words += ["--out", out] }
        if let ranks { words += ["--ranks", String(ranks)] }
        return (words + ["--resume"]).map { $0.contains(" ") ? "'\($0)'" : $0 }.joined(separator: " ")
    }
}
