import Foundation
import Testing
import Config

/// The digests of the shipped configs, and of variants that reach every key of the schema, recorded
/// before the schema rewrite: checkpoints record the digest, so reorganising the config code must
/// not move it.
@Suite("RunConfig: shipped configs keep their digests")
struct ShippedConfigDigestTests {
    struct Case: Sendable, CustomStringConvertible {
        let file: String
        let overrides: [String]
        let digest: String
        var description: String { ([file] + overrides).joined(separator: " ") }
    }

    static let cases: [Case] = [
        Case(file: "clinical-mlp.yaml", overrides: [], digest: "c71bc47fb734c7a0"),
        Case(file: "digits-mlp.yaml", overrides: [], digest: "9e52f5b0350a17d3"),
        Case(file: "wide-mlp.yaml", overrides: [], digest: "04e3b1c667dd48e4"),
        Case(file: "digits-mlp.yaml", overrides: [
            "optimizer.type=adamw", "optimizer.betas=[0.8, 0.99]", "optimizer.eps=1e-7",
            "optimizer.lr_scaling={reference_batch: 32, rule: sqrt}", "schedule={type: cosine, warmup_steps: 1, min_lr: 1e-5}", "train.steps=2",
            "train.grad_clip_norm=1.5", "distributed={reduction: mpi, check_every: 0}",
            "output={dir: runs/x, checkpoint_every: 100, keep_checkpoints: 2}", "data.standardize=false",
        ], digest: "29ffa9353d9c28c6"),
        Case(file: "clinical-mlp.yaml", overrides: [
            "model.layers[1]={type: layernorm, eps: 1e-6, elementwise_affine: false}",
            "model.layers[2]={type: leaky_relu, negative_slope: 0.2}", "model.layers[3]={name: drop, type: dropout, p: 0.1}",
            "model.layers[5]={type: batchnorm1d, eps: 1e-3, momentum: 0.2, affine: false}", "model.layers[6]=gelu",
            "model.checkpoint_activations=true", "schedule={type: step, step_size: 100, gamma: 0.5}",
            "optimizer={type: sgd, lr: 0.05, momentum: 0.5, dampening: 0.1, weight_decay: 1e-4, lr_scaling: {reference_batch: 128}}",
            "seed=18446744073709551615", "train.steps=2",
        ], digest: "b2e40a42a487d7c2"),
    ]

    @Test(arguments: cases)
    func digestIsUnchanged(_ pinned: Case) throws {
        let config = try RunConfig.load(path: configShippedPath(pinned.file), overrides: pinned.overrides)
        #expect(config.configDigest == pinned.digest, "\(pinned): \(config.configDigest)")
        if let dump = ProcessInfo.processInfo.environment["LOCKSTEP_DUMP_CANONICAL"] {
            let name = pinned.file + "-\(pinned.overrides.count).yaml"
            try config.canonicalYAML.write(toFile: dump + "/" + name, atomically: true, encoding: .utf8)
        }
    }
}
