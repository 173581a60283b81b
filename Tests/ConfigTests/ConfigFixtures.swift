import Foundation
import Testing

// Shared with TrainingTests through a symlink (test targets cannot import each other).

/// The reference clinical config, inline so that tuning configs/clinical-mlp.yaml does not move the
/// tests' expectations.
let configClinicalYAML = """
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
    data: {source: synthetic-clinical, samples: 20000, validation_fraction: 0.2, shuffle: true}
    loss: bce_with_logits
    batch: {global: 256, micro: 32}
    optimizer: {type: sgd, lr: 0.1, momentum: 0.9, weight_decay: 0.0, nesterov: false}
    schedule: {type: constant, warmup_steps: 0}
    train: {steps: 600, eval_every: 100}
    output: {dir: runs/clinical-mlp}

    """

/// `configClinicalYAML` with `old` replaced by `new`; `old` must occur exactly once.
func configClinical(replacing old: String, with new: String, sourceLocation: SourceLocation = #_sourceLocation) -> String {
    let parts = configClinicalYAML.components(separatedBy: old)
    #expect(parts.count == 2, "'\(old)' should occur once in configClinicalYAML", sourceLocation: sourceLocation)
    return parts.joined(separator: new)
}

/// The repository root, found from this file's real location (the file may be reached by a symlink).
let configRepositoryRoot: URL = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
    .deletingLastPathComponent()   // ConfigTests
    .deletingLastPathComponent()   // Tests
    .deletingLastPathComponent()

func configShippedPath(_ name: String) -> String {
    configRepositoryRoot.appendingPathComponent("configs").appendingPathComponent(name).path
}
