import Foundation
import Testing
import Config

@Suite("RunConfig: shipped configs")
struct ShippedConfigTests {
    @Test func clinicalMLP() throws {
        let config = try RunConfig.load(path: configShippedPath("clinical-mlp.yaml"))
        #expect(config.seed == 7)
        #expect(config.model.input == 20)
        #expect(config.model.layerNames == ["layer1", "bn1", "2", "3", "layer2", "bn2", "6", "layer3"])
        #expect(config.data.source == .syntheticClinical(samples: 20000))
        #expect(config.loss == .bceWithLogits)
        #expect(config.batch == BatchConfig(global: 256, micro: 32))
        #expect(config.optimizer.type == .sgd)
        #expect(config.optimizer.lr == 0.1)
        #expect(config.optimizer.momentum == 0.9)
        #expect(config.train.evalEvery == 100)
        #expect(config.output.dir == "runs/clinical-mlp")
        #expect(try config.accumulationSteps(worldSize: 1) == 8)
        #expect(try config.layerShapes().last?.outFeatures == 1)
    }

    @Test func digitsMLP() throws {
        let config = try RunConfig.load(path: configShippedPath("digits-mlp.yaml"))
        #expect(config.model.input == 64)
        #expect(try config.layerShapes().map(\.outFeatures) == [128, 128, 64, 64, 10])
        #expect(config.model.layerNames == ["layer1", "1", "layer2", "3", "layer3"])
        #expect(config.data.source == .csv(path: "configs/data/digits.csv", label: "digit"))
        #expect(config.data.standardize)
        #expect(config.loss == .crossEntropy)
        #expect(config.optimizer.type == .adam)
        #expect(config.optimizer.lr == 1e-3)
        #expect(config.batch == BatchConfig(global: 64, micro: 16))
        #expect(try config.accumulationSteps(worldSize: 4) == 1)

        // The CSV is the lead's; when it is there, its size must fit the batch.
        let csv = configRepositoryRoot.appendingPathComponent("configs/data/digits.csv")
        if let text = try? String(contentsOf: csv, encoding: .utf8) {
            let rows = text.split(whereSeparator: \.isNewline).count - 1
            #expect(text.prefix(while: { !$0.isNewline }).split(separator: ",").contains("digit"))
            try config.checkSampleCount(rows)
        }
    }

    @Test func wideMLP() throws {
        let config = try RunConfig.load(path: configShippedPath("wide-mlp.yaml"))
        #expect(config.data.source == .syntheticWide(samples: 8192, features: 1024, classes: 10))
        #expect(try config.layerShapes().filter { $0.type == "linear" }.map(\.outFeatures) == [1024, 1024, 1024, 10])
        #expect(try config.parameterCount() == 3 * (1024 * 1024 + 1024) + 1024 * 10 + 10)
        #expect(config.batch == BatchConfig(global: 256, micro: 256))
        #expect(try config.accumulationSteps(worldSize: 1) == 1)
        #expect(config.optimizer.type == .sgd)
    }

    @Test(arguments: ["clinical-mlp.yaml", "digits-mlp.yaml", "wide-mlp.yaml"])
    func canonicalRoundTrip(name: String) throws {
        let config = try RunConfig.load(path: configShippedPath(name))
        let again = try RunConfig(yaml: config.canonicalYAML, source: "canonical.yaml")
        #expect(again == config)
        #expect(again.canonicalYAML == config.canonicalYAML)
        #expect(again.configDigest == config.configDigest)
    }
}

@Suite("RunConfig: defaults and plan")
struct ConfigDefaultsTests {
    static let minimal = """
        model: {input: 4, layers: [{type: linear, out: 1}]}
        data: {source: synthetic-clinical, samples: 1000}
        loss: mse
        batch: {global: 32, micro: 8}
        optimizer: {type: adamw, lr: 0.001}
        train: {steps: 10}
        output: {dir: runs/min}
        """

    @Test func defaultsFilledIn() throws {
        let config = try RunConfig(yaml: Self.minimal, source: "min.yaml")
        #expect(config.seed == 0)
        #expect(config.model.checkpointActivations == false)
        #expect(config.model.layers == [LayerConfig(.linear(out: 1, bias: true))])
        #expect(config.model.layerNames == ["0"])
        #expect(config.data.validationFraction == 0.2)
        #expect(config.data.shuffle)
        #expect(config.data.standardize == false)
        #expect(config.optimizer.weightDecay == 0.01)   // adamw's default, as in PyTorch
        #expect(config.optimizer.betas == (0.9, 0.999))
        #expect(config.optimizer.eps == 1e-8)
        #expect(config.optimizer.lrScaling == nil)
        #expect(config.learningRate == 0.001)
        #expect(config.schedule.type == .constant && config.schedule.warmupSteps == 0)
        #expect(config.train.steps == 10 && config.train.evalEvery == 0 && config.train.logEvery == 10)
        #expect(config.train.gradClipNorm == nil && config.train.earlyStopping == nil)
        #expect(config.distributed.reduction == .deterministic && config.distributed.checkEvery == 50)
        #expect(config.output.dir == "runs/min" && config.output.checkpointEvery == 0 && config.output.keepCheckpoints == 3)
    }

    @Test func layerDefaultsAndShorthand() throws {
        let yaml = Self.minimal.replacingOccurrences(
            of: "layers: [{type: linear, out: 1}]",
            with: "layers: [{type: linear, out: 8, bias: false}, batchnorm1d, {type: layernorm}, leaky_relu, "
                + "{type: dropout}, gelu, tanh, sigmoid, {type: linear, out: 1}]")
        let config = try RunConfig(yaml: yaml)
        #expect(config.model.layers.map(\.kind) == [
            .linear(out: 8, bias: false), .batchnorm1d(eps: 1e-5, momentum: 0.1, affine: true),
            .layernorm(eps: 1e-5, elementwiseAffine: true), .leakyRelu(negativeSlope: 0.01), .dropout(p: 0.5),
            .gelu, .tanh, .sigmoid, .linear(out: 1, bias: true),
        ])
        #expect(try config.layerShapes().map(\.parameterCount) == [32, 16, 16, 0, 0, 0, 0, 0, 9])
    }

    @Test func csvStandardizesByDefault() throws {
        let yaml = Self.minimal.replacingOccurrences(
            of: "{source: synthetic-clinical, samples: 1000}", with: "{source: csv, path: d.csv, label: y}")
        let config = try RunConfig(yaml: yaml)
        #expect(config.data.standardize)
        #expect(config.data.source.sampleCount == nil)
        #expect(config.data.split(sampleCount: 1797) == (train: 1438, validation: 359))
        #expect(throws: ConfigError.self) { try config.checkSampleCount(35) }
    }

    @Test func layerShapes() throws {
        let config = try RunConfig(yaml: configClinicalYAML, source: "clinical.yaml")
        let plan = try config.layerShapes()
        #expect(plan.map(\.name) == ["layer1", "bn1", "2", "3", "layer2", "bn2", "6", "layer3"])
        #expect(plan.map(\.type) == ["linear", "batchnorm1d", "relu", "dropout", "linear", "batchnorm1d", "relu", "linear"])
        #expect(plan.map(\.inFeatures) == [20, 64, 64, 64, 64, 32, 32, 32])
        #expect(plan.map(\.outFeatures) == [64, 64, 64, 64, 32, 32, 32, 1])
        #expect(plan.map(\.parameterCount) == [20 * 64 + 64, 128, 0, 0, 64 * 32 + 32, 64, 0, 33])
    }

    @Test func accumulationSteps() throws {
        var config = try RunConfig(yaml: configClinicalYAML, source: "clinical.yaml")
        #expect(try [1, 2, 4, 8].map { try config.accumulationSteps(worldSize: $0) } == [8, 4, 2, 1])
        #expect(try [3, 5, 6, 7].map { try config.accumulationSteps(worldSize: $0) } == [3, 2, 2, 2])
        #expect(config.microBatchesPerStep == 8)

        func message(_ worldSize: Int) -> String? {
            do { _ = try config.accumulationSteps(worldSize: worldSize); return nil } catch { return "\(error)" }
        }
        #expect(message(3) == nil)
        #expect(message(16) == "clinical.yaml: world size 16 exceeds the 8 micro-batches per step (batch.global 256 / batch.micro 32): use at most 8 ranks")
        #expect(message(0) == "clinical.yaml: world size must be positive (got 0)")
        config.batch.global = 250
        #expect(message(2) == "clinical.yaml: batch.global 250 is not divisible by batch.micro 32")
    }

    @Test func lrScaling() throws {
        let yaml = configClinical(replacing: "nesterov: false}",
                            with: "nesterov: false, lr_scaling: {reference_batch: 128}}")
        #expect(try RunConfig(yaml: yaml).learningRate == 0.2)
        let sqrt = configClinical(replacing: "nesterov: false}",
                            with: "nesterov: false, lr_scaling: {reference_batch: 64, rule: sqrt}}")
        #expect(try RunConfig(yaml: sqrt).learningRate == 0.2)
    }

    @Test func anchorsAndMergeKeys() throws {
        let yaml = Self.minimal.replacingOccurrences(of: "model: {input: 4, layers: [{type: linear, out: 1}]}", with: """
            model:
              input: 4
              layers:
                - &hidden {name: h1, type: linear, out: 8}
                - relu
                - {<<: *hidden, name: h2}
                - {type: linear, out: 1}
            """)
        let config = try RunConfig(yaml: yaml)
        #expect(config.model.layers[2] == LayerConfig(name: "h2", .linear(out: 8)))
    }

    @Test func validateCatchesChangesMadeInCode() throws {
        var config = try RunConfig(yaml: configClinicalYAML, source: "clinical.yaml")
        try config.validate()
        config.model.layers[3].kind = .dropout(p: 1)
        #expect(throws: ConfigError(file: "clinical.yaml", keyPath: "model.layers[3].p",
                                    message: "expected a number in [0, 1), got 1")) { try config.validate() }
    }
}

@Suite("RunConfig: errors")
struct ConfigErrorTests {
    @Test func missingRequiredKeys() {
        expectConfigError(configClinical(replacing: "  input: 20\n", with: ""), "clinical.yaml: model.input: required key is missing")
        expectConfigError(configClinical(replacing: "loss: bce_with_logits\n", with: ""), "clinical.yaml: loss: required key is missing")
        expectConfigError(configClinical(replacing: "samples: 20000, ", with: ""), "clinical.yaml: data.samples: required key is missing")
        expectConfigError(configClinical(replacing: "{name: layer3, type: linear, out: 1}", with: "{name: layer3, type: linear}"),
                          "clinical.yaml: model.layers[7].out: required key is missing")
        expectConfigError(configClinical(replacing: "lr: 0.1, ", with: "lr: ~, "), "clinical.yaml: optimizer.lr: required key is missing")
        expectConfigError(configClinical(replacing: "{type: constant, warmup_steps: 0}", with: "{type: step}"),
                          "clinical.yaml: schedule.step_size: required key is missing")
    }

    @Test func unknownKeys() {
        expectConfigError(configClinical(replacing: "optimizer: {", with: "optimzer: {"),
                          "clinical.yaml: unknown key 'optimzer' (did you mean 'optimizer'?)")
        expectConfigError(configClinical(replacing: "{type: dropout, p: 0.3}", with: "{type: dropout, pp: 0.3}"),
                          "clinical.yaml: model.layers[3]: unknown key 'pp' (did you mean 'p'?)")
        expectConfigError(configClinical(replacing: "{type: dropout, p: 0.3}", with: "{type: dropout, p: 0.3, rate: 0.1}"),
                          "clinical.yaml: model.layers[3]: unknown key 'rate' (allowed: name, type, p)")
        expectConfigError(configClinical(replacing: "eval_every: 100", with: "eval_evry: 100"),
                          "clinical.yaml: train: unknown key 'eval_evry' (did you mean 'eval_every'?)")
        expectConfigError(configClinical(replacing: "seed: 7\n", with: "seed: 7\nwandb: {project: x}\n"),
                          "clinical.yaml: unknown key 'wandb' (allowed: seed, model, data, loss, batch, optimizer, "
                          + "schedule, train, distributed, output)")
        // A key that belongs to another variant is named as such.
        expectConfigError(configClinical(replacing: "type: sgd", with: "type: adam"),
                          "clinical.yaml: optimizer.momentum: not used with optimizer.type adam "
                          + "(keys: type, lr, weight_decay, lr_scaling, betas, eps)")
        expectConfigError(configClinical(replacing: "{type: constant, warmup_steps: 0}", with: "{type: constant, min_lr: 0.01}"),
                          "clinical.yaml: schedule.min_lr: not used with schedule.type constant (keys: type, warmup_steps)")
        expectConfigError(configClinical(replacing: "samples: 20000,", with: "samples: 20000, label: y,"),
                          "clinical.yaml: data.label: not used with data.source synthetic-clinical "
                          + "(keys: source, validation_fraction, shuffle, standardize, order, samples)")
    }

    @Test func wrongTypes() {
        expectConfigError(configClinical(replacing: "steps: 600", with: "steps: many"),
                          "clinical.yaml: train.steps: expected an integer, got 'many'")
        expectConfigError(configClinical(replacing: "steps: 600", with: "steps: 60.5"),
                          "clinical.yaml: train.steps: expected an integer, got 60.5")
        expectConfigError(configClinical(replacing: "steps: 600", with: "steps: \"600\""),
                          "clinical.yaml: train.steps: expected an integer, got '600'")
        expectConfigError(configClinical(replacing: "shuffle: true", with: "shuffle: 3"),
                          "clinical.yaml: data.shuffle: expected true or false, got 3")
        expectConfigError(configClinical(replacing: "lr: 0.1", with: "lr: [0.1]"),
                          "clinical.yaml: optimizer.lr: expected a number, got a list")
        expectConfigError(configClinical(replacing: "lr: 0.1", with: "lr: .inf"),
                          "clinical.yaml: optimizer.lr: expected a finite number, got .inf")
        expectConfigError(configClinical(replacing: "batch: {global: 256, micro: 32}", with: "batch: 256"),
                          "clinical.yaml: batch: expected a mapping, got 256")
        expectConfigError(configClinical(replacing: "seed: 7", with: "seed: -7"),
                          "clinical.yaml: seed: expected a non-negative integer, got -7")
    }

    @Test func invalidValues() {
        expectConfigError(configClinical(replacing: "lr: 0.1", with: "lr: -0.1"),
                          "clinical.yaml: optimizer.lr: expected a positive number, got -0.1")
        expectConfigError(configClinical(replacing: "p: 0.3", with: "p: 1.5"),
                          "clinical.yaml: model.layers[3].p: expected a number in [0, 1), got 1.5")
        expectConfigError(configClinical(replacing: "p: 0.3", with: "p: 1"),
                          "clinical.yaml: model.layers[3].p: expected a number in [0, 1), got 1")
        expectConfigError(configClinical(replacing: "validation_fraction: 0.2", with: "validation_fraction: 1.2"),
                          "clinical.yaml: data.validation_fraction: expected a number in [0, 1), got 1.2")
        // 0 is allowed (train on every sample, ConfigOptionKeysTests); below 0 is not.
        expectConfigError(configClinical(replacing: "validation_fraction: 0.2", with: "validation_fraction: -0.1"),
                          "clinical.yaml: data.validation_fraction: expected a number in [0, 1), got -0.1")
        expectConfigError(configClinical(replacing: "momentum: 0.9", with: "momentum: 1.0"),
                          "clinical.yaml: optimizer.momentum: expected a number in [0, 1), got 1")
        expectConfigError(configClinical(replacing: "steps: 600", with: "steps: 0"),
                          "clinical.yaml: train.steps: expected a positive integer, got 0")
        expectConfigError(configClinical(replacing: "{name: layer2, type: linear, out: 32}", with: "{name: layer2, type: linear, out: 0}"),
                          "clinical.yaml: model.layers[4].out: expected a positive integer, got 0")
        expectConfigError(configClinical(replacing: "momentum: 0.9, weight_decay: 0.0, nesterov: false", with: "nesterov: true"),
                          "clinical.yaml: optimizer.nesterov: nesterov needs momentum > 0 and dampening 0, "
                          + "got momentum 0 and dampening 0")
        expectConfigError(configClinical(replacing: "warmup_steps: 0", with: "warmup_steps: 700"),
                          "clinical.yaml: schedule.warmup_steps 700 exceeds train.steps 600")
        expectConfigError(configClinical(replacing: "{type: constant, warmup_steps: 0}", with: "{type: cosine, min_lr: 0.5}"),
                          "clinical.yaml: schedule.min_lr 0.5 exceeds the learning rate 0.1")
        expectConfigError(configClinical(replacing: "{name: bn2, type: batchnorm1d}", with: "{name: bn1, type: batchnorm1d}"),
                          "clinical.yaml: model.layers[5].name: duplicate layer name 'bn1' (also model.layers[1])")
        expectConfigError(configClinical(replacing: "{name: layer1,", with: "{name: layer.1,"),
                          "clinical.yaml: model.layers[0].name: expected a name of letters, digits and '_' "
                          + "that does not start with a digit, got 'layer.1'")
        expectConfigError(configClinical(replacing: "samples: 20000", with: "samples: 300"),
                          "clinical.yaml: data.samples 300, which leaves 240 for training, fewer than batch.global 256")
        expectConfigError(configClinical(replacing: "output: {dir: runs/clinical-mlp}", with: "output: {dir: runs/x, keep_checkpoints: 0}"),
                          "clinical.yaml: output.keep_checkpoints: expected a positive integer, got 0")
    }

    @Test func unknownEnumValues() {
        expectConfigError(configClinical(replacing: "loss: bce_with_logits", with: "loss: hinge"),
                          "clinical.yaml: loss: expected one of bce_with_logits, cross_entropy, mse, got 'hinge'")
        expectConfigError(configClinical(replacing: "type: sgd", with: "type: sgdd"),
                          "clinical.yaml: optimizer.type: expected one of sgd, adam, adamw, lars, lamb, got 'sgdd' (did you mean 'sgd'?)")
        expectConfigError(configClinical(replacing: "{name: bn1, type: batchnorm1d}", with: "{name: bn1, type: batchnorm}"),
                          "clinical.yaml: model.layers[1].type: expected one of linear, batchnorm1d, layernorm, relu, "
                          + "leaky_relu, gelu, tanh, sigmoid, dropout, got 'batchnorm' (did you mean 'batchnorm1d'?)")
        expectConfigError(configClinical(replacing: "source: synthetic-clinical", with: "source: synthetic"),
                          "clinical.yaml: data.source: expected one of synthetic-clinical, synthetic-wide, csv, packed, got 'synthetic'")
        expectConfigError(configClinical(replacing: "output: {dir: runs/clinical-mlp}",
                                   with: "output: {dir: runs/clinical-mlp}\ndistributed: {reduction: nccl}"),
                          "clinical.yaml: distributed.reduction: expected one of deterministic, mpi, got 'nccl'")
    }

    @Test func outputSizeMustFitTheLoss() {
        expectConfigError(configClinical(replacing: "{name: layer3, type: linear, out: 1}", with: "{name: layer3, type: linear, out: 2}"),
                          "clinical.yaml: model.layers[7].out: the last linear layer 'layer3' gives 2 outputs, "
                          + "but loss bce_with_logits needs exactly 1")
        expectConfigError(configClinical(replacing: "loss: bce_with_logits", with: "loss: cross_entropy"),
                          "clinical.yaml: model.layers[7].out: the last linear layer 'layer3' gives 1 output, "
                          + "but loss cross_entropy needs at least 2 (one logit per class)")
        expectConfigError(ConfigDefaultsTests.minimal.replacingOccurrences(of: "[{type: linear, out: 1}]", with: "[relu]"),
                          "clinical.yaml: model.input: the model has no linear layer, so it outputs its 4 input features, "
                          + "but loss mse needs exactly 1")
    }

    @Test func dataMustFitTheModel() throws {
        let wide = try String(contentsOfFile: configShippedPath("wide-mlp.yaml"), encoding: .utf8)
        expectConfigError(wide.replacingOccurrences(of: "features: 1024", with: "features: 512"),
                          "clinical.yaml: model.input 1024 does not match data.features 512")
        expectConfigError(wide.replacingOccurrences(of: "classes: 10", with: "classes: 12"),
                          "clinical.yaml: data.classes 12 does not match the model's 10 outputs")
    }

    @Test func batchMustDivide() {
        expectConfigError(configClinical(replacing: "global: 256", with: "global: 250"),
                          "clinical.yaml: batch.global 250 is not divisible by batch.micro 32")
        expectConfigError(configClinical(replacing: "micro: 32", with: "micro: -32"),
                          "clinical.yaml: batch.micro: expected a positive integer, got -32")
    }

    @Test func fileLevelProblems() throws {
        expectConfigError("", "clinical.yaml: the file is empty")
        expectConfigError("# nothing but a comment\n", "clinical.yaml: the file is empty")
        expectConfigError("- a\n- b\n", "clinical.yaml: expected a mapping, got a list")
        expectConfigError(configClinicalYAML + "seed: 8\n", "clinical.yaml: duplicate key 'seed'")

        let broken = configClinical(replacing: "  input: 20", with: "  input: [20")
        #expect(throws: ConfigError.self) { try RunConfig(yaml: broken, source: "clinical.yaml") }
        do {
            _ = try RunConfig(yaml: broken, source: "clinical.yaml")
        } catch let error as ConfigError {
            #expect(error.description.hasPrefix("clinical.yaml: invalid YAML: line "))
            #expect(!error.description.contains("\n"))
            #expect(error.line != nil)
        }

        #expect(throws: ConfigError(file: "/no/such/dir/x.yaml", keyPath: "", message: "no such file")) {
            try RunConfig.load(path: "/no/such/dir/x.yaml")
        }
    }

    @Test func errorsCarryTheLine() throws {
        do {
            _ = try RunConfig(yaml: configClinical(replacing: "p: 0.3", with: "p: 1.5"), source: "clinical.yaml")
            Issue.record("expected an error")
        } catch let error as ConfigError {
            #expect(error.line == 8)
            #expect(error.keyPath == "model.layers[3].p")
            #expect(error.message == "expected a number in [0, 1), got 1.5")
        }
        do {
            _ = try RunConfig(yaml: configClinical(replacing: "steps: 600", with: "steps: x"), source: "clinical.yaml")
            Issue.record("expected an error")
        } catch let error as ConfigError {
            #expect(error.line == 18)
        }
    }
}
