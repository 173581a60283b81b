#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import TensorCore
import NN
import Checkpointing
import Distributed
import Config
import Datasets

/// A whole training run as the `lockstep train` command performs it: the trainer's steps, plus what
/// rank 0 alone does around them (progress line, metrics log, evaluations, checkpoints, final outputs).
///
/// Outputs in `outputDirectory`: `metrics.jsonl` (a record per logged step and per evaluation),
/// `model.safetensors` (the state dict), `summary.json`, and `checkpoints/` when
/// `output.checkpoint_every` is set. Every file is written atomically.
///
/// ```swift
/// let summary = try TrainingRun(config: config, outputDirectory: "runs/x").run()
/// ```
public final class TrainingRun {
    /// The run's configuration. The data options, early stopping, best checkpoint, TensorBoard and
    /// `pos_weight` below are views of it, so the config.yaml the run writes holds whatever was set.
    public private(set) var config: RunConfig
    public let communicator: Communicator
    public let outputDirectory: String
    public let initialStatePath: String?
    public let resume: Bool
    /// Where rank 0's human-readable lines go (progress is separate).
    public var log: (String) -> Void = { print($0) }
    /// Where rank 0's warnings go (a collapsed run, `RunCollapse`): standard error, even with --quiet.
    public var warn: (String) -> Void = { FileHandle.standardError.write(Data("warning: \($0)\n".utf8)) }
    public var showsProgress = true
    /// Makes one rank fail on purpose after a given step, to test that a failing rank ends every rank
    /// (see `FaultInjection`). Nil in normal runs.
    public var faultInjection: FaultInjection?
    /// Called after each step, evaluation and checkpoint (a watchdog's heartbeat).
    public var onProgress: () -> Void = {}
    /// The stop signal this process has received, if any (`StopSignal.requested`). Read once per step
    /// (`Trainer.stopRequest`); the ranks agree on it through the step's statistics vector (`StepStatistics`),
    /// so they all stop after the same step, SIGTERM winning over SIGINT.
    public var stopRequest: () -> Int32? = { nil }
    /// Seconds a restarted run waits for the failed attempt's rank 0 to let go of the run folder: it
    /// may still be ending on a host that answers, or, behind a lost link, until its watchdog ends it
    /// (`lockstep train` waits its `--timeout` plus the abort's grace and a margin).
    public var restartLockWait = 30.0
    /// Which (re)start of the run this is, set by a supervisor that restarts failed runs
    /// (`--max-restarts`); recorded as a segment in metrics.jsonl and summary.json.
    public var restart: RunSegment.Restart = .none
    /// Config keys a resumed run may change from its checkpoint's (`--allow-config-change`); each
    /// must be a key of this config or the checkpoint's.
    public var allowedConfigChanges: Set<String> = []
    /// Whether a resumed run may continue on data other than `data.json` records (`--allow-data-change`);
    /// data.json then keeps the earlier record under `earlier`.
    public var allowsDataChange = false
    /// Whether a run already in the output directory is replaced (`--overwrite`): its files are removed
    /// before this run writes its own. Without it (or `resume`) such a folder is refused (`PreviousRun`).
    public var overwrite = false
    /// Whether `--init` and `--resume` files are checked against their recorded digests (`--no-verify`
    /// turns it off for files edited on purpose; structure and finiteness are always checked).
    public var verifiesFiles = true
    /// Timestamps of every step, evaluation and checkpoint write when attached (`--timeline`).
    public var timeline: StepTimeline?
    /// SHA-256 of the `preprocessing.json` this run writes, recorded in every weights file it writes.
    var preprocessingDigest: String?
    /// Columns, missing values, categories, task and validation file of a CSV source (`data.*` keys,
    /// `config.data.options`). Setting `validationFraction` sets `data.validation_fraction`.
    public var dataOptions: DataOptions {
        get { config.data.options }
        set {
            config.data.options = newValue
            config.data.options.validationFraction = nil
            if let fraction = newValue.validationFraction { config.data.validationFraction = fraction }
        }
    }
    /// Stop when a validation metric stops improving (`train.early_stopping`).
    public var earlyStopping: EarlyStopping? {
        get { config.train.earlyStopping }
        set { config.train.earlyStopping = newValue }
    }
    /// Keep `best.safetensors`, the weights of the best evaluation by `earlyStopping`'s metric (validation
    /// loss without early stopping) (`output.save_best`).
    public var saveBest: Bool {
        get { config.output.saveBest }
        set { config.output.saveBest = newValue }
    }
    /// Write TensorBoard scalar event files under `OUT/tensorboard/` (`output.tensorboard`).
    public var tensorboard: Bool {
        get { config.output.tensorboard }
        set { config.output.tensorboard = newValue }
    }
    /// BCE's weight on positive rows (`loss.pos_weight`).
    public var positiveWeight: Double? {
        get { config.positiveWeight }
        set { config.positiveWeight = newValue }
    }

    public init(config: RunConfig, outputDirectory: String? = nil, communicator: Communicator = LocalCommunicator(),
                initialStatePath: String? = nil, resume: Bool = false) {
        self.config = config
        self.communicator = communicator
        self.outputDirectory = outputDirectory ?? config.output.dir
        self.initialStatePath = initialStatePath
        self.resume = resume
    }

    var isRankZero: Bool { communicator.rank == 0 }
    var checkpointDirectory: CheckpointDirectory {
        CheckpointDirectory(path: outputDirectory + "/checkpoints", keep: max(1, config.output.keepCheckpoints))
    }

    @discardableResult
    public func run() throws -> RunSummary {
        let runStart = Date()   // metrics records count elapsed seconds from here
        BLASThreads.set(1)
        // Output problems (a file where the directory should be, a read-only disk, another run's
        // folder, a folder another process writes) are found before any work is done, not after
        // training. The lock is held until this returns or throws.
        var lock: FolderLock?
        defer { lock?.release() }
        if isRankZero {
            try OutputDirectory.check(outputDirectory, files: ["model.safetensors", "summary.json", "metrics.jsonl"] + RunFolder.files)
            lock = try claimOutputFolder()
        }
        let data = try PreparedData(config: config)
        preprocessingDigest = RunFolder.sha256(try RunFolder.preprocessingBytes(data.preprocessing))
        try earlyStopping?.check()
        let trainer = try Trainer(config: config, data: data, communicator: communicator)
        trainer.timeline = timeline
        trainer.stopRequest = stopRequest
        if let initialStatePath {
            try StateDictFile.restore(from: initialStatePath, into: trainer.model, verify: verifiesFiles)
        }
        let checkpoints = CheckpointCallback(directory: checkpointDirectory, every: config.output.checkpointEvery)
        checkpoints.metadata = runMetadata
        var firstStep = 0
        if resume, let resumed = try checkpoints.resume(trainer, totalSteps: config.train.steps, verify: verifiesFiles,
                                                           check: { try checkConfig(of: $0, source: $1) }) {
            firstStep = resumed.value
            if isRankZero, !resumed.skipped.isEmpty { log(resumed.report) }
        } else if resume {
            try checkAllowedKeys(against: [config])
        }
        let earlierData = firstStep > 0 ? try dataHistory(now: data, resumedAt: firstStep) : nil
        try trainer.broadcastState()
        try trainer.checkReplicas()
        if isRankZero {
            try OutputDirectory.create(outputDirectory)
            if lock == nil { lock = try claimOutputFolder() }
            if overwrite && !resume { try PreviousRun.clear(outputDirectory) }
            // Before the first step, so that even a run stopped early leaves a usable folder.
            try RunFolder.write(config: config, data: data, to: outputDirectory, earlier: earlierData)
        }
        let metricsPath = outputDirectory + "/metrics.jsonl"
        let evaluator = Evaluator(loss: config.loss, positiveWeight: config.positiveWeight)
        let evaluation = EvaluationCallback(every: config.train.evalEvery) { try evaluator.evaluate(trainer.model, on: data.validation) }
        let best = bestCheckpoints(after: evaluation, hasValidation: data.hasValidation, metricsPath: metricsPath)
        let loop = TrainingLoop(trainer: trainer, totalSteps: config.train.steps, firstStep: firstStep)
        loop.log = log
        loop.heartbeat = onProgress
        // In the order each step's work was always done: a test's fault, the log, evaluation and its
        // consequences, the replica check, the checkpoint (and a stop signal's).
        let every = config.train.logEvery
        loop.callbacks = (faultInjection.map { [$0] } ?? []) + [ProgressCallback(every: every, live: showsProgress),
            MetricsCallback(path: metricsPath, every: every, resumes: resume, restart: restart, start: runStart)]
        if tensorboard { loop.callbacks.append(TensorBoardCallback(directory: outputDirectory + "/tensorboard", every: every)) }
        if data.hasValidation { loop.callbacks.append(evaluation) }
        if let best { loop.callbacks.append(best) }
        loop.callbacks += [ReplicaCheckCallback(every: config.distributed.checkEvery), checkpoints]
        if isRankZero {
            let plan = trainer.plan, a = plan.accumulationSteps
            // Uneven blocks (W does not divide n): the first n mod W ranks take one micro-batch more.
            let split = plan.microBatchesPerStep % plan.worldSize == 0
                ? "micro \(config.batch.micro) × accumulation \(a) × world \(communicator.worldSize)"
                : "\(plan.microBatchesPerStep) micro-batches of \(config.batch.micro) over \(communicator.worldSize) ranks (\(a - 1) or \(a) each)"
            log("training \(trainer.model.parameterCount) parameters for \(config.train.steps) steps: global batch \(config.batch.global) = \(split)\(firstStep > 0 ? ", resuming after step \(firstStep)" : "")")
        }

        let start = Date()
        do {
            try loop.run()
        } catch let error as TrainingError where error.divergedAtStep != nil {
            // Every rank sees the same reduced loss, so all stop here. summary.json records the
            // collapse; the weights, no longer meaningful, are not written.
            if isRankZero {
                var summary = summarize(trainer, loop, firstStep: firstStep, wall: Date().timeIntervalSince(start), final: nil,
                                        best: best, metricsPath: metricsPath)
                summary.collapse = RunCollapse(kind: .diverged, detail: error.description)
                try AtomicFile.write(JSONOutput.pretty(summary), to: outputDirectory + "/summary.json")
            }
            throw error
        }
        let wall = Date().timeIntervalSince(start)
        // Rank 0 evaluated after the last step; the other ranks take its result instead of repeating it.
        let own = data.hasValidation && isRankZero ? try evaluation.last ?? evaluator.evaluate(trainer.model, on: data.validation) : nil
        let final = data.hasValidation ? try shareFromRankZero(own) : nil
        var summary = summarize(trainer, loop, firstStep: firstStep, wall: wall, final: final, best: best, metricsPath: metricsPath)
        summary.collapse = RunCollapse.judge(own)
        if isRankZero {
            try writeOutputs(trainer, summary: summary)
            log("wrote \(outputDirectory)/model.safetensors and summary.json (params_sha256 \(summary.paramsSHA256.prefix(16))…)")
            if let collapse = summary.collapse { warn("\(collapse); summary.json records it") }
        }
        return summary
    }

    /// What the run did and reached, for summary.json.
    private func summarize(_ trainer: Trainer, _ loop: TrainingLoop, firstStep: Int, wall: Double, final: EvaluationResult?,
                           best: BestCheckpointCallback?, metricsPath: String) -> RunSummary {
        let completed = loop.completedSteps
        let secondsPerStep = loop.timedSteps > 0 ? loop.stepSeconds / Double(loop.timedSteps) : 0
        let samplesPerSecond = secondsPerStep > 0 ? Double(config.batch.global) / secondsPerStep : 0
        let communication: Double = trainer.gradientSync.communicationSeconds / Double(max(1, completed - firstStep))
        let tracker = best?.tracker
        return RunSummary(
            steps: completed, worldSize: communicator.worldSize, globalBatch: config.batch.global,
            microBatch: config.batch.micro, accumulation: trainer.plan.accumulationSteps,
            reduction: config.distributed.reduction.rawValue, finalTrainLoss: loop.lastResult?.loss ?? .nan,
            validation: .init(final),
            samplesPerSecond: samplesPerSecond, secondsPerStep: secondsPerStep, wallSeconds: wall, parameterCount: trainer.model.parameterCount,
            paramsSHA256: StateDictFile.archive(model: trainer.model).paramsSHA256().hex, configDigest: config.configDigest, seed: config.seed,
            communicationSecondsPerStep: communication, restarts: restart.number,
            segments: isRankZero ? MetricsLog.segments(metricsPath) : [],
            bestStep: tracker?.bestStep, bestMetric: tracker?.metric, bestValue: tracker?.bestValue,
            stoppedEarly: earlyStopping == nil ? nil : completed < config.train.steps)
    }

    /// The best weights (`output.save_best`) and early stopping (`train.early_stopping`), when asked
    /// for and the run has validation rows to evaluate (else it says they are off).
    func bestCheckpoints(after evaluation: EvaluationCallback, hasValidation: Bool, metricsPath: String) -> BestCheckpointCallback? {
        if !hasValidation, isRankZero {
            log("no validation split (validation fraction 0): the run reports no validation metrics")
            if earlyStopping != nil || saveBest { log("early stopping and save_best need validation metrics; this run has none, so they are off") }
        }
        guard hasValidation, earlyStopping != nil || saveBest else { return nil }
        let best = BestCheckpointCallback(tracking: earlyStopping ?? EarlyStopping(metric: "loss"), stops: earlyStopping != nil,
                                          after: evaluation, bestPath: saveBest ? outputDirectory + "/best.safetensors" : nil)
        best.metricsPath = metricsPath
        best.metadata = runMetadata
        return best
    }

    /// Rank 0's evaluation on every rank (one broadcast of four numbers).
    func shareFromRankZero(_ evaluation: EvaluationResult?) throws -> EvaluationResult {
        var values: [Double] = evaluation.map { [$0.loss, $0.accuracy ?? .nan, $0.auc ?? .nan, Double($0.samples)] }
            ?? [.nan, .nan, .nan, 0]
        try values.withUnsafeMutableBytes { try communicator.broadcast($0, root: 0) }
        return EvaluationResult(loss: values[0], accuracy: values[1].isNaN ? nil : values[1],
                                auc: values[2].isNaN ? nil : values[2], samples: Int(values[3]))
    }

    func runMetadata(step: Int) -> [String: String] {
        var metadata = ["step": String(step), "seed": String(config.seed), "config_digest": config.configDigest,
                        "config": config.canonicalYAML, "format": "lockstep-state-dict-v1"]
        metadata[RunFolder.preprocessingDigestKey] = preprocessingDigest
        return metadata
    }

    func writeOutputs(_ trainer: Trainer, summary: RunSummary) throws {
        let archive = StateDictFile.archive(model: trainer.model, metadata: runMetadata(step: summary.steps))
        try archive.write(to: outputDirectory + "/model.safetensors")
        try AtomicFile.write(JSONOutput.pretty(summary), to: outputDirectory + "/summary.json")
        // The loss curves of this run (metrics.jsonl, every segment); none when nothing was logged.
        if let curves = try RunCurves.svgIfAny(runs: [outputDirectory], metric: "loss") {
            try AtomicFile.write(Array(curves.utf8), to: outputDirectory + "/curves.svg")
        }
    }

    /// The run's config against the one the checkpoint was written with: every differing key must be
    /// named in `allowedConfigChanges` (`--allow-config-change KEY…`), so a resumed run never changes
    /// silently; keys that cannot change the bits (`RunConfig.executionOnlyKeys`) may differ. Extending `train.steps` is the common case; with a cosine or step schedule it changes
    /// the learning rate of the remaining steps (the schedule is a function of step and total steps).
    /// Checkpoints that carry only a digest (older ones) must match it exactly.
    func checkConfig(of metadata: [String: String], source path: String) throws {
        guard let text = metadata["config"] else {
            try checkAllowedKeys(against: [config])
            guard metadata["config_digest"] == config.configDigest else {
                throw TrainingError("\(path): checkpoint was written by a different config (digest \(metadata["config_digest"] ?? "none"), this run \(config.configDigest))")
            }
            return
        }
        let written: RunConfig
        do {
            written = try RunConfig(yaml: text, source: path)
        } catch {
            throw TrainingError("\(path): the config recorded in the checkpoint does not load: \(error)")
        }
        try checkAllowedKeys(against: [config, written])
        let refused = config.differences(from: written).filter {
            !allowedConfigChanges.contains($0.key) && !RunConfig.isExecutionOnly($0)
        }
        guard refused.isEmpty else {
            let list = refused.map(\.description).joined(separator: ", ")
            throw TrainingError("\(path): checkpoint was written by a different config: \(list); to resume anyway, name the keys with --allow-config-change \(refused.map(\.key).joined(separator: " "))")
        }
    }
}
