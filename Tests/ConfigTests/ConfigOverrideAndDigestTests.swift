import Foundation
import Testing
import Config

@Suite("RunConfig: --set overrides")
struct ConfigOverrideTests {
    @Test func overridesApplyBeforeDecoding() throws {
        let config = try RunConfig(yaml: configClinicalYAML, source: "clinical.yaml", overrides: [
            "train.steps=30", "optimizer.type=adam", "model.layers[3].p=0.1", "batch.global=512",
        ])
        #expect(config.train.steps == 30)
        #expect(config.optimizer.type == .adam)
        #expect(config.optimizer.lr == 0.1)
        #expect(config.optimizer.momentum == 0)          // sgd's keys dropped with the switch to adam
        #expect(config.model.layers[3].kind == .dropout(p: 0.1))
        #expect(config.batch.global == 512)
        #expect(try config.accumulationSteps(worldSize: 2) == 8)
    }

    @Test func valuesAreYAML() throws {
        let config = try RunConfig(yaml: configClinicalYAML, overrides: [
            "optimizer.type=adamw", "optimizer.betas=[0.8, 0.99]", "optimizer.eps=1e-6",
            "train.grad_clip_norm=1.0", "output.dir=runs/x y", "model.layers[2]={type: leaky_relu, negative_slope: 0.2}",
            "optimizer.lr_scaling.reference_batch=128", "distributed.reduction=mpi",
        ])
        #expect(config.optimizer.type == .adamw)
        #expect(config.optimizer.betas == (0.8, 0.99))
        #expect(config.optimizer.eps == 1e-6)
        #expect(config.optimizer.weightDecay == 0)       // from the file
        #expect(config.train.gradClipNorm == 1.0)
        #expect(config.output.dir == "runs/x y")
        #expect(config.model.layers[2].kind == .leakyRelu(negativeSlope: 0.2))
        #expect(config.learningRate == 0.2)
        #expect(config.distributed.reduction == .mpi)

        let cleared = try RunConfig(yaml: configClinicalYAML, overrides: ["train.grad_clip_norm=0.5", "train.grad_clip_norm=null"])
        #expect(cleared.train.gradClipNorm == nil)
        let relu = try RunConfig(yaml: configClinicalYAML, overrides: ["model.layers[3].type=relu"])
        #expect(relu.model.layers[3].kind == .relu)
    }

    @Test func overrideEqualsEditingTheFile() throws {
        let edited = try RunConfig(yaml: configClinical(replacing: "lr: 0.1", with: "lr: 0.05"), source: "clinical.yaml")
        let overridden = try RunConfig(yaml: configClinicalYAML, source: "clinical.yaml", overrides: ["optimizer.lr=0.05"])
        #expect(edited == overridden)
        #expect(edited.configDigest == overridden.configDigest)
    }

    @Test func badOverrides() {
        expectConfigError(configClinicalYAML, overrides: ["train.stesp=30"],
                          "clinical.yaml: train: unknown key 'stesp' (did you mean 'steps'?) (from --set train.stesp=30)")
        expectConfigError(configClinicalYAML, overrides: ["trian.steps=30"],
                          "clinical.yaml: unknown key 'trian' (did you mean 'train'?) (from --set trian.steps=30)")
        expectConfigError(configClinicalYAML, overrides: ["model.layers[9].p=0.1"],
                          "clinical.yaml: model.layers[9]: index out of range: model.layers has 8 entries "
                          + "(from --set model.layers[9].p=0.1)")
        expectConfigError(configClinicalYAML, overrides: ["train.steps=-5"],
                          "clinical.yaml: train.steps: expected a positive integer, got -5 (from --set train.steps=-5)")
        expectConfigError(configClinicalYAML, overrides: ["model.layers[3].p=1.5"],
                          "clinical.yaml: model.layers[3].p: expected a number in [0, 1), got 1.5 "
                          + "(from --set model.layers[3].p=1.5)")
        expectConfigError(configClinicalYAML, overrides: ["model.layers[2].p=0.1"],
                          "clinical.yaml: model.layers[2].p: not used with layer type relu (keys: name, type) "
                          + "(from --set model.layers[2].p=0.1)")
        expectConfigError(configClinicalYAML, overrides: ["loss=hinge"],
                          "clinical.yaml: loss: expected one of bce_with_logits, cross_entropy, mse, got 'hinge' "
                          + "(from --set loss=hinge)")
        expectConfigError(configClinicalYAML, overrides: ["optimizer.lr.x=1"],
                          "clinical.yaml: optimizer.lr: cannot set 'x' here: expected a mapping, got 0.1 "
                          + "(from --set optimizer.lr.x=1)")
        expectConfigError(configClinicalYAML, overrides: ["train.steps"],
                          "clinical.yaml: expected key.path=value (from --set train.steps)")
        expectConfigError(configClinicalYAML, overrides: ["train..steps=3"],
                          "clinical.yaml: 'train..steps' is not a key path (write it as in model.layers[3].p) "
                          + "(from --set train..steps=3)")
        expectConfigError(configClinicalYAML, overrides: ["train.steps="],
                          "clinical.yaml: no value after '=' (write null to clear an optional key) (from --set train.steps=)")
    }
}

@Suite("RunConfig: digest and Codable")
struct ConfigDigestTests {
    /// The clinical config written differently: block style, other key order, defaults spelled out,
    /// comments, a different file name.
    static let clinicalRewritten = """
        # same run, other words
        output:
          dir: runs/clinical-mlp
          checkpoint_every: 0
          keep_checkpoints: 3
        train: {eval_every: 100, steps: 600, log_every: 10, grad_clip_norm: null}
        optimizer:
          lr: 1.0e-1
          type: sgd
          momentum: 0.90
          dampening: 0
          nesterov: no
        batch: {micro: 32, global: 256}
        loss: bce_with_logits
        distributed: {reduction: deterministic, check_every: 50}
        data:
          shuffle: true
          source: synthetic-clinical
          samples: 20_000
          standardize: false
        model:
          checkpoint_activations: false
          layers:
            - {type: linear, name: layer1, out: 64, bias: true}
            - {name: bn1, type: batchnorm1d, eps: 0.00001, momentum: 0.1, affine: true}
            - relu
            - {type: dropout, p: 0.3}
            - {name: layer2, type: linear, out: 32}
            - {name: bn2, type: batchnorm1d}
            - {type: relu}
            - {name: layer3, type: linear, out: 1}
          input: 20
        seed: 7
        """

    @Test func digestIgnoresSpellingAndSource() throws {
        let base = try RunConfig(yaml: configClinicalYAML, source: "clinical.yaml")
        let rewritten = try RunConfig(yaml: Self.clinicalRewritten, source: "elsewhere.yaml")
        #expect(rewritten == base)
        #expect(rewritten.configDigest == base.configDigest)
        #expect(rewritten.canonicalYAML == base.canonicalYAML)
        #expect(base.configDigest.count == 16)
        #expect(base.configDigest.allSatisfy { "0123456789abcdef".contains($0) })
    }

    @Test func digestIsPinned() throws {
        // Changing the canonical form changes every checkpoint's recorded digest: do it on purpose.
        let base = try RunConfig(yaml: configClinicalYAML, source: "clinical.yaml")
        #expect(base.canonicalYAML == """
            seed: 7
            model:
              input: 20
              layers:
                - {name: layer1, type: linear, out: 64, bias: true}
                - {name: bn1, type: batchnorm1d, eps: 1.0e-05, momentum: 0.1, affine: true}
                - {type: relu}
                - {type: dropout, p: 0.3}
                - {name: layer2, type: linear, out: 32, bias: true}
                - {name: bn2, type: batchnorm1d, eps: 1.0e-05, momentum: 0.1, affine: true}
                - {type: relu}
                - {name: layer3, type: linear, out: 1, bias: true}
              checkpoint_activations: false
            data:
              source: synthetic-clinical
              samples: 20000
              validation_fraction: 0.2
              shuffle: true
              standardize: false
            loss: bce_with_logits
            batch:
              global: 256
              micro: 32
            optimizer:
              type: sgd
              lr: 0.1
              weight_decay: 0.0
              momentum: 0.9
              dampening: 0.0
              nesterov: false
              lr_scaling: null
            schedule:
              type: constant
              warmup_steps: 0
            train:
              steps: 600
              eval_every: 100
              log_every: 10
              grad_clip_norm: null
            distributed:
              reduction: deterministic
              check_every: 50
            output:
              dir: runs/clinical-mlp
              checkpoint_every: 0
              keep_checkpoints: 3

            """)
        #expect(base.configDigest == "36fba786307e64e1")
    }

    @Test func digestSeesEveryChange() throws {
        let base = try RunConfig(yaml: configClinicalYAML, source: "clinical.yaml")
        let changes = [
            "seed=8", "optimizer.lr=0.10000001", "model.layers[0].name=first", "model.layers[3].p=0.31",
            "model.layers[0].bias=false", "data.shuffle=false", "batch.micro=16", "train.steps=601",
            "train.grad_clip_norm=1", "output.dir=runs/other", "distributed.reduction=mpi",
            "schedule.type=cosine", "model.checkpoint_activations=true", "data.standardize=true",
        ]
        var digests: Set<String> = [base.configDigest]
        for change in changes {
            let changed = try RunConfig(yaml: configClinicalYAML, source: "clinical.yaml", overrides: [change])
            #expect(changed != base, "\(change)")
            digests.insert(changed.configDigest)
        }
        #expect(digests.count == changes.count + 1)
        // Naming a layer by its index is a different config from leaving it unnamed.
        #expect(try RunConfig(yaml: configClinicalYAML, overrides: ["model.layers[2].name=relu1"]).configDigest != base.configDigest)
    }

    @Test func jsonRoundTrip() throws {
        let base = try RunConfig(yaml: configClinicalYAML, source: "clinical.yaml", overrides: ["optimizer.type=adamw"])
        let json = try JSONEncoder().encode(base)
        let decoded = try JSONDecoder().decode(RunConfig.self, from: json)
        #expect(decoded == base)
        #expect(decoded.configDigest == base.configDigest)

        // Decoding is as strict as YAML loading.
        var object = try #require(try JSONSerialization.jsonObject(with: json) as? [String: Any])
        var train = try #require(object["train"] as? [String: Any])
        train["step"] = 5
        object["train"] = train
        let bad = try JSONSerialization.data(withJSONObject: object)
        #expect(throws: ConfigError.self) { try JSONDecoder().decode(RunConfig.self, from: bad) }
        do {
            _ = try JSONDecoder().decode(RunConfig.self, from: bad)
        } catch {
            #expect("\(error)" == "RunConfig: train: unknown key 'step' (did you mean 'steps'?)")
        }
    }
}

/// `distributed.network` (issue 7): a modelled network as a config key, absent by default and then
/// left out of the canonical form, so the digests of configs that do not use it did not change.
@Suite("distributed.network")
struct NetworkConfigTests {
    @Test("reads latency and bandwidth; absent leaves the canonical form and digest as they were")
    func network() throws {
        let plain = try RunConfig(yaml: configClinicalYAML, source: "clinical.yaml")
        #expect(plain.distributed.network == nil)
        #expect(!plain.canonicalYAML.contains("network"))
        let shaped = try RunConfig(yaml: configClinicalYAML, source: "clinical.yaml",
                                   overrides: ["distributed.network={latency_us: 5, gbps: 10}"])
        #expect(shaped.distributed.network == NetworkConfig(latencyUs: 5, gbps: 10))
        #expect(shaped.canonicalYAML.contains("  network:\n    latency_us: 5.0\n    gbps: 10.0\n"))
        #expect(shaped.configDigest != plain.configDigest)
        let back = try RunConfig(yaml: shaped.canonicalYAML, source: "canonical.yaml")
        #expect(back == shaped)
    }

    @Test("a bandwidth of zero or a negative latency is one line naming the key")
    func badNetwork() {
        expectConfigError(configClinicalYAML, overrides: ["distributed.network={gbps: 0}"],
                          "clinical.yaml: distributed.network.gbps: expected a positive number, got 0 (from --set distributed.network={gbps: 0})")
        expectConfigError(configClinicalYAML, overrides: ["distributed.network={latency_us: -1, gbps: 10}"],
                          "clinical.yaml: distributed.network.latency_us: expected a number ≥ 0, got -1 (from --set distributed.network={latency_us: -1, gbps: 10})")
    }
}
