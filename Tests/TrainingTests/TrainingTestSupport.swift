import Foundation
import Testing
import TensorCore
import Training
import Config

/// Helpers shared by the trainer, run-output, PyTorch and CLI tests (prefixed `TT` so that they do not
/// clash with the config tests' helpers).
enum TT {
    /// The repository root, from this file's real location.
    static let repositoryRoot: URL = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
        .deletingLastPathComponent()   // TrainingTests
        .deletingLastPathComponent()   // Tests
        .deletingLastPathComponent()

    static func shippedConfig(_ name: String) -> String {
        repositoryRoot.appendingPathComponent("configs").appendingPathComponent(name).path
    }

    /// A fresh, unique directory under the system temporary directory.
    static func temporaryDirectory(_ label: String) throws -> String {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("lockstep-training-tests-\(label)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url.path
    }

    static func remove(_ path: String) {
        try? FileManager.default.removeItem(atPath: path)
    }

    static func write(_ text: String, to path: String) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    }

    /// The reference model (20→64→BN→ReLU→Dropout→32→BN→ReLU→1) on a smaller synthetic data set, so
    /// that short runs stay fast. Other changes go through `RunConfig` overrides (`--set` syntax).
    static func referenceYAML(samples: Int = 2000, steps: Int = 20, global: Int = 64, micro: Int = 16,
                              evalEvery: Int = 10, logEvery: Int = 5, checkpointEvery: Int = 0,
                              keepCheckpoints: Int = 3, outputDir: String = "runs/test") -> String {
        """
        seed: 7
        model:
          input: 20
          layers:
            - {name: layer1, type: linear, out: 64}
            - {name: bn1, type: batchnorm1d}
            - {type: relu}
            - {type: dropout, p: 0.3}
            - {name: layer2, type: linear, out: 32}
            - {name: bn2, type: batchnorm1d}
            - {type: relu}
            - {name: layer3, type: linear, out: 1}
        data: {source: synthetic-clinical, samples: \(samples), validation_fraction: 0.2, shuffle: true, standardize: true}
        loss: bce_with_logits
        batch: {global: \(global), micro: \(micro)}
        optimizer: {type: sgd, lr: 0.1, momentum: 0.9}
        train: {steps: \(steps), eval_every: \(evalEvery), log_every: \(logEvery)}
        output: {dir: \(outputDir), checkpoint_every: \(checkpointEvery), keep_checkpoints: \(keepCheckpoints)}

        """
    }

    /// Largest |a − b| over the largest |b| of one tensor pair (0 when both are all zero).
    static func relativeDifference(_ a: Tensor, _ b: Tensor) -> Double {
        precondition(a.count == b.count)
        var maxDiff = 0.0, maxAbs = 0.0
        for i in 0..<a.count {
            maxDiff = max(maxDiff, abs(a.element(i) - b.element(i)))
            maxAbs = max(maxAbs, abs(b.element(i)))
        }
        return maxAbs == 0 ? maxDiff : maxDiff / maxAbs
    }

    /// The largest per-tensor relative difference between two state dicts with the same names in the same order.
    static func maxRelativeDifference(_ a: [(name: String, tensor: Tensor)], _ b: [(name: String, tensor: Tensor)],
                                      sourceLocation: SourceLocation = #_sourceLocation) -> Double {
        #expect(a.map(\.name) == b.map(\.name), sourceLocation: sourceLocation)
        var worst = 0.0
        for (x, y) in zip(a, b) {
            #expect(x.tensor.shape == y.tensor.shape, "\(x.name)", sourceLocation: sourceLocation)
            #expect(x.tensor.dtype == y.tensor.dtype, "\(x.name)", sourceLocation: sourceLocation)
            worst = max(worst, relativeDifference(x.tensor, y.tensor))
        }
        return worst
    }

    /// Trains `config` for its `train.steps` in this process with a `Trainer` (no files written).
    static func train(_ config: RunConfig) throws -> Trainer {
        BLASThreads.set(1)
        let trainer = try Trainer(config: config, data: PreparedData(config: config))
        for _ in 0..<config.train.steps { try trainer.step() }
        return trainer
    }

    /// A `TrainingRun` that writes to `directory` and prints nothing.
    static func quietRun(_ config: RunConfig, in directory: String, initialStatePath: String? = nil,
                         resume: Bool = false) -> TrainingRun {
        let run = TrainingRun(config: config, outputDirectory: directory, initialStatePath: initialStatePath, resume: resume)
        run.log = { _ in }
        run.showsProgress = false
        return run
    }
}

// MARK: - The CLI binary

/// What a finished `lockstep` process did.
struct CLIResult {
    var status: Int32
    var exitedNormally: Bool
    var stdout: String
    var stderr: String

    /// Non-blank lines of stderr.
    var errorLines: [String] {
        stderr.split(whereSeparator: \.isNewline).map(String.init).filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
    }
}

enum CLI {
    /// Runs `lockstep arguments…` in `directory` (see `LockstepProcess`, which also runs mpirun jobs).
    static func run(_ arguments: [String], in directory: String) throws -> CLIResult {
        let outcome = try LockstepProcess.run(arguments, in: URL(fileURLWithPath: directory))
        return CLIResult(status: outcome.status, exitedNormally: outcome.exitedNormally,
                         stdout: outcome.stdout, stderr: outcome.stderr)
    }
}
