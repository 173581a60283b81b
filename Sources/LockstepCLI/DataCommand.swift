import ArgumentParser
import Foundation
import Config
import Datasets
import PackedData
import Training

/// `lockstep data`: packing a CSV for training at any scale, and checking a pack.
struct DataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "data", abstract: "Pack a CSV for sharded reading, or verify a pack.",
                                                    subcommands: [Pack.self, Verify.self])

    struct Pack: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Pack a CSV into fixed-width, preprocessed binary shards that each rank reads only where it needs.",
            discussion: """
                The split (keyed, by the seed and validation fraction) and the preprocessing (fitted on the \
                training rows) are made once, here; train from the pack with data: {source: packed, path: DIR}. \
                With --config, the label, column options, seed, validation fraction and standardisation come \
                from the config's csv data section.
                """)

        @Option(help: "The CSV file to pack.") var input: String
        @Option(help: "The folder to write (new, or empty).") var out: String
        @Option(help: "A run config whose data section (source: csv) gives the label and column options.") var config: String?
        @Option(help: "Without --config: the label column.") var label: String?
        @Option(help: "Without --config: the split's seed.") var seed: UInt64 = 0
        @Option(help: "Without --config: the share of rows held out for validation.") var validationFraction = 0.2
        @Flag(help: "Without --config: keep numeric features as they are (no standardisation).") var noStandardize = false
        @Option(help: "Rows per shard (default: 1 GiB of rows).") var shardRows: Int?

        func validate() throws {
            guard (config == nil) != (label == nil) else { throw ValidationError("give --config FILE or --label COLUMN (not both)") }
            if let shardRows, shardRows < 1 { throw ValidationError("--shard-rows must be at least 1") }
        }

        func run() throws {
            var packer: Packer
            if let config {
                let run = try RunConfig.load(path: config)
                guard case .csv(_, let label) = run.data.source else {
                    throw ValidationError("\(config): data.source is \(run.data.source.name); packing takes its options from a csv data section")
                }
                packer = Packer(input: input, label: label, options: run.data.options, standardize: run.data.standardize,
                                seed: run.seed, validationFraction: run.data.validationFraction)
            } else {
                packer = Packer(input: input, label: label!, options: DataOptions(), standardize: !noStandardize,
                                seed: seed, validationFraction: validationFraction)
            }
            packer.shardRows = shardRows
            packer.progress = PackProgress(interactive: ProgressLine.stdoutIsTerminal).show
            let start = Date()
            let manifest = try packer.pack(to: out)
            if ProgressLine.stdoutIsTerminal { print("\r\u{1B}[2K", terminator: "") }
            let seconds = Date().timeIntervalSince(start)
            print("packed \(manifest.source.rows) rows of \(input) into \(out): \(manifest.train.rows) train, "
                  + "\(manifest.validation.rows) validation, \(manifest.features) features, "
                  + "\(manifest.train.shards.count + manifest.validation.shards.count) shards in \(String(format: "%.2f", seconds)) s")
        }
    }

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Hash every shard of a pack against its manifest.")

        @Argument(help: "The pack folder.") var folder: String

        func run() throws {
            let pack = try PackedDataSet(directory: folder, verification: .full)
            print("\(folder): \(pack.manifest.train.rows) train and \(pack.manifest.validation.rows) validation rows verified")
        }
    }
}

/// `lockstep data pack`'s progress: one line rewritten in place on a terminal, else a plain line per
/// phase and per 25 % of it.
final class PackProgress: @unchecked Sendable {
    let interactive: Bool
    private var last: (phase: String, quarter: Int)?
    init(interactive: Bool) { self.interactive = interactive }

    func show(_ phase: String, _ done: Double) {
        let percent = Int((100 * min(max(done, 0), 1)).rounded(.down))
        if interactive {
            FileHandle.standardOutput.write(Data("\r\u{1B}[2Kpacking: \(phase) \(percent)%".utf8))
            return
        }
        let quarter = percent / 25
        guard last.map({ $0.phase != phase || $0.quarter != quarter }) ?? true else { return }
        last = (phase, quarter)
        print("packing: \(phase) \(percent)%")
    }
}
