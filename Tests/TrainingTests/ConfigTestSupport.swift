import Foundation
import Testing
import Training

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

/// Loads `yaml` as `clinical.yaml`, expects a `ConfigError`, and checks its one-line description.
func expectConfigError(_ yaml: String, overrides: [String] = [], _ expected: String,
                       sourceLocation: SourceLocation = #_sourceLocation) {
    do {
        let config = try RunConfig(yaml: yaml, source: "clinical.yaml", overrides: overrides)
        Issue.record("expected \"\(expected)\", but the config loaded: \(config.configDigest)",
                     sourceLocation: sourceLocation)
    } catch let error as ConfigError {
        #expect(error.description == expected, sourceLocation: sourceLocation)
        #expect(!error.description.contains("\n"), sourceLocation: sourceLocation)
    } catch {
        Issue.record("expected a ConfigError, got \(error)", sourceLocation: sourceLocation)
    }
}

/// The repository root, found from this file's real location (the file may be reached by a symlink).
let configRepositoryRoot: URL = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
    .deletingLastPathComponent()   // TrainingTests
    .deletingLastPathComponent()   // Tests
    .deletingLastPathComponent()

func configShippedPath(_ name: String) -> String {
    configRepositoryRoot.appendingPathComponent("configs").appendingPathComponent(name).path
}
