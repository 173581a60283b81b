#if canImport(Glibc)
@preconcurrency import Glibc   // C's `stdout` global, touched once before any thread starts
#elseif canImport(Darwin)
@preconcurrency import Darwin
#endif
import Foundation
import ArgumentParser
import Training
import Config

/// `lockstep sweep --config C --batch 256,1024,… [--optimizer sgd,lars,lamb] [--epochs E]`: equal-epoch
/// trainings over global batch sizes, the learning rate scaled by each optimizer's rule (`BatchSweep`),
/// written as a table (sweep.csv, sweep.json) and a chart (sweep.svg), with the largest batch per
/// optimizer that stays within a tolerance of the smallest batch's validation metric.
struct Sweep: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train at several global batch sizes (equal epochs, scaled learning rate) and find where the model stops learning as well.")

    @OptionGroup var options: ConfigOptions

    @Option(help: ArgumentHelp("Global batch sizes, comma-separated (each a multiple of batch.micro).", valueName: "B,B,…"))
    var batch: String

    @Option(help: ArgumentHelp("Optimizers, comma-separated (sgd, adam, adamw, lars, lamb); default: the config's. The config's own is used as written; the others take the presets of docs/large-batch.md.", valueName: "names"))
    var optimizer: String?

    @Option(name: .customLong("with"), help: ArgumentHelp("An optimizer's block instead of its preset, e.g. 'lamb={type: lamb, lr: 0.002, lr_scaling: {reference_batch: 256, rule: sqrt}}' (repeatable).", valueName: "name=yaml"))
    var blocks: [String] = []

    @Option(help: "Passes over the training rows per run; each run takes round(E × rows / B) steps.")
    var epochs = 10.0

    @Option(help: "Linear warm-up over this fraction of each run's steps (default: the config's schedule.warmup_steps).")
    var warmupFraction: Double?

    @Option(help: "The validation metric compared: auc, accuracy or loss (default: auc for binary, accuracy for multiclass, loss for regression).")
    var metric: String?

    @Option(help: "How far below the smallest batch's metric (above, for loss) a larger batch may fall and still count.")
    var tolerance = 0.005

    @Option(help: "Simulated ranks per run (the bits do not depend on it).")
    var ranks = 1

    @Option(help: "The sweep's folder: a run folder per optimizer and batch, and sweep.csv, sweep.json, sweep.svg.")
    var out = "runs/sweep"

    @Flag(help: "Replace finished runs of another config in the sweep's folder (runs of the same config are reused).")
    var overwrite = false

    func run() throws {
        // Every process would train the same runs into the same folders; simulated ranks give the bits.
        guard !World.isMPILaunch else { throw TrainingError("lockstep sweep runs in one process: use --ranks N instead of mpirun") }
        let config = try options.load()
        let batches = try batch.split(separator: ",").map { item -> Int in
            guard let b = Int(item.trimmingCharacters(in: .whitespaces)), b > 0 else { throw TrainingError("--batch: '\(item)' is not a positive integer") }
            return b
        }
        let names = optimizer.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } } ?? [config.optimizer.type.rawValue]
        var optimizers = try BatchSweep.presets(for: names, config: config)
        for block in blocks {
            guard let eq = block.firstIndex(of: "="), let k = optimizers.firstIndex(where: { $0.name == block[..<eq] }) else {
                throw TrainingError("--with \(block): give name=yaml for one of the swept optimizers (\(names.joined(separator: ", ")))")
            }
            let given = try RunConfig.load(path: options.config, overrides: options.overrides + ["optimizer=\(block[block.index(after: eq)...])"])
            optimizers[k].optimizer = given.optimizer
        }
        let sweep = try BatchSweep(config: config, batches: batches, optimizers: optimizers, epochs: epochs,
                                   warmupFraction: warmupFraction, ranks: ranks, metric: metric)
        try OutputGuard.check(out + "/sweep.svg", option: "--out", inputs: [options.config])
        setvbuf(stdout, nil, _IOLBF, 0)
        print("sweep: \(sweep.runs.count) runs of \(Self.format(epochs)) epochs over \(sweep.trainCount) training rows, comparing validation \(sweep.metric)")
        let rows = try sweep.run(in: out, overwrite: overwrite) { print($0) }
        let report = SweepReport(rows: rows, metric: sweep.metric, tolerance: tolerance)
        try report.write(to: out)
        for line in report.verdicts { print(line) }
        print("wrote \(out)/sweep.csv, sweep.json and sweep.svg")
        for row in rows {
            if let collapse = row.collapse {
                FileHandle.standardError.write(Data("warning: \(row.optimizer) at batch \(row.batch): \(collapse)\n".utf8))
            }
        }
    }

    static func format(_ x: Double) -> String { x == x.rounded() ? String(Int(x)) : String(x) }
}
