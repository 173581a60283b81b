import Foundation
import Config
import Checkpointing
import Distributed
import Datasets

/// Equal-epoch trainings of one config over global batch sizes and optimizers, with the learning rate
/// scaled by each optimizer's rule: the experiment of Goyal et al. (2017), which finds the largest
/// batch that still reaches the small batch's validation metric. Each run is an ordinary run folder
/// `OUT/<optimizer>-b<batch>`; a folder whose summary.json was written by the same config is reused,
/// so an interrupted sweep continues where it stopped.
///
/// ```swift
/// let sweep = try BatchSweep(config: config, batches: [256, 4096, 32768], optimizers: BatchSweep.presets(for: ["sgd", "lamb"], config: config), epochs: 30)
/// let rows = try sweep.run(in: "runs/sweep") { print($0) }
/// let report = SweepReport(rows: rows, metric: sweep.metric, tolerance: 0.005)
/// ```
public struct BatchSweep {
    public let config: RunConfig
    public let batches: [Int]
    /// Name and optimizer block of each line of the sweep.
    public let optimizers: [(name: String, optimizer: OptimizerConfig)]
    public let epochs: Double
    /// Warm-up as a fraction of each run's steps (nil: the config's `schedule.warmup_steps`).
    public let warmupFraction: Double?
    /// Simulated ranks per run (the bits do not depend on it).
    public let ranks: Int
    /// The validation metric compared: `auc` (binary), `accuracy` (multiclass) or `loss` (regression)
    /// unless chosen.
    public let metric: String
    /// Training rows, for the steps an epoch takes.
    public let trainCount: Int

    public init(config: RunConfig, batches: [Int], optimizers: [(name: String, optimizer: OptimizerConfig)], epochs: Double,
                warmupFraction: Double? = nil, ranks: Int = 1, metric: String? = nil) throws {
        guard !batches.isEmpty, !optimizers.isEmpty else { throw TrainingError("a sweep needs at least one batch size and one optimizer") }
        guard epochs > 0, epochs.isFinite else { throw TrainingError("--epochs must be a positive number, got \(epochs)") }
        if let f = warmupFraction, !(f >= 0 && f < 1) { throw TrainingError("--warmup-fraction must be in [0, 1), got \(f)") }
        let data = try PreparedData(config: config)
        guard data.hasValidation else { throw TrainingError("a sweep compares validation metrics; the config has no validation split") }
        let metric = metric ?? Self.defaultMetric(data.train.task)
        guard ["auc", "accuracy", "loss"].contains(metric) else { throw TrainingError("--metric must be auc, accuracy or loss, got \(metric)") }
        (self.config, self.batches, self.optimizers, self.epochs) = (config, batches.sorted(), optimizers, epochs)
        (self.warmupFraction, self.ranks, self.metric, trainCount) = (warmupFraction, ranks, metric, data.train.count)
        for (name, batch) in runs { _ = try self.config(optimizer: name, batch: batch) }   // every run's config checked up front
    }

    /// The optimizer blocks for `names`: the config's own optimizer as it is (given the config's
    /// global batch as its reference when it has no `lr_scaling`: linear for SGD, square root
    /// otherwise), and for any other name the preset below, tuned on the reference model (docs/large-batch.md):
    ///
    /// | name | at B = 256 | rule |
    /// |---|---|---|
    /// | sgd | lr 0.1, momentum 0.9 | linear |
    /// | lars | lr 0.88, momentum 0.9, weight decay 1e-4, η 0.001 | sqrt |
    /// | lamb | lr 0.0018, weight decay 0.01 | sqrt |
    /// | adam, adamw | lr 0.001 (adamw: weight decay 0.01) | sqrt |
    public static func presets(for names: [String], config: RunConfig) throws -> [(name: String, optimizer: OptimizerConfig)] {
        try names.map { name in
            guard let kind = OptimizerConfig.Kind(rawValue: name) else {
                throw TrainingError("--optimizer \(name) is not one of \(OptimizerConfig.Kind.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            if kind == config.optimizer.type {
                var own = config.optimizer
                if own.lrScaling == nil { own.lrScaling = .init(referenceBatch: config.batch.global, rule: kind == .sgd ? .linear : .sqrt) }
                return (name, own)
            }
            var o = OptimizerConfig(type: kind, lr: 0.001, lrScaling: .init(referenceBatch: 256, rule: kind == .sgd ? .linear : .sqrt))
            switch kind {
            case .sgd: (o.lr, o.momentum) = (0.1, 0.9)
            case .lars: (o.lr, o.weightDecay) = (0.88, 1e-4)
            case .lamb: o.lr = 0.0018
            case .adam, .adamw: break
            }
            return (name, o)
        }
    }

    static func defaultMetric(_ task: TabularDataset.Task) -> String {
        switch task {
        case .binaryClassification: "auc"
        case .multiclass: "accuracy"
        case .regression: "loss"
        }
    }

    /// Every (optimizer, batch) pair, optimizer by optimizer, batches ascending.
    public var runs: [(optimizer: String, batch: Int)] { optimizers.flatMap { o in batches.map { (o.name, $0) } } }

    /// Steps of a run at global batch `batch`: `epochs` passes over the training rows, rounded (at least 1).
    public func steps(batch: Int) -> Int { max(1, Int((epochs * Double(trainCount) / Double(batch)).rounded())) }

    /// The run's config: the sweep's batch, optimizer, steps and warm-up; evaluated once, at the end.
    public func config(optimizer name: String, batch: Int, in directory: String = ".") throws -> RunConfig {
        var c = config
        c.batch.global = batch
        c.optimizer = optimizers.first { $0.name == name }!.optimizer
        c.train.steps = steps(batch: batch)
        c.train.evalEvery = 0
        c.train.earlyStopping = nil
        if let warmupFraction { c.schedule.warmupSteps = Int((warmupFraction * Double(c.train.steps)).rounded()) }
        c.output.dir = directory + "/" + Self.folder(optimizer: name, batch: batch)
        do {
            try c.validate()
        } catch {
            throw TrainingError("\(name) at batch \(batch): \(error)")
        }
        return c
    }

    public static func folder(optimizer: String, batch: Int) -> String { "\(optimizer)-b\(batch)" }

    /// Trains every run in turn under `directory` (one line per run to `progress`), reusing a finished
    /// run of the same config; a run that diverges is a row with its collapse, not the sweep's end.
    public func run(in directory: String, overwrite: Bool = false, progress: (String) -> Void = { _ in }) throws -> [SweepRow] {
        try OutputDirectory.create(directory)
        var rows: [SweepRow] = []
        for (name, batch) in runs {
            let c = try config(optimizer: name, batch: batch, in: directory)
            let started = Date()
            let earlier = try Self.finished(c)
            let summary = try earlier ?? train(c, overwrite: overwrite)
            let row = SweepRow(optimizer: name, batch: batch, steps: c.train.steps, learningRate: c.learningRate,
                               warmupSteps: c.schedule.warmupSteps, summary: summary, metric: metric)
            rows.append(row)
            progress(row.line + (earlier != nil ? " [reused]" : String(format: " [%.1f s]", Date().timeIntervalSince(started))))
        }
        return rows
    }

    /// The summary of a run already finished in the config's folder by the same config, if any.
    static func finished(_ c: RunConfig) throws -> RunSummary? {
        let path = c.output.dir + "/summary.json"
        guard let data = FileManager.default.contents(atPath: path),
              let summary = try? JSONDecoder().decode(RunSummary.self, from: data),
              summary.configDigest == c.configDigest else { return nil }
        return summary
    }

    private func train(_ c: RunConfig, overwrite: Bool) throws -> RunSummary {
        do {
            return try SimulatedWorld.run(ranks: ranks) { comm in
                let run = TrainingRun(config: c, outputDirectory: c.output.dir, communicator: comm)
                run.showsProgress = false
                run.log = { _ in }
                run.warn = { _ in }
                // A folder without summary.json is this sweep's own run cut short: it starts again. A
                // finished run of another config is replaced only when asked (`finished` took the same one).
                run.overwrite = overwrite || !FileManager.default.fileExists(atPath: c.output.dir + "/summary.json")
                return try run.run()
            }[0]
        } catch {
            // A diverged run wrote its summary (with the collapse) before it stopped, on whichever
            // rank's error the world reports: a row of the table, not the sweep's end.
            if let summary = try Self.finished(c), summary.collapse?.kind == .diverged { return summary }
            throw error
        }
    }
}
