import Foundation
import Testing
import Config

/// The keys added for CSV options, early stopping, the best checkpoint, TensorBoard and `pos_weight`:
/// each decodes, survives the canonical form, refuses bad values in one line naming the key, and
/// leaves the canonical form (and digest) of configs that do not use it untouched.
@Suite("RunConfig: data options, early stopping, save_best, tensorboard, pos_weight")
struct ConfigOptionKeysTests {
    static let csv = "data={source: csv, path: patients.csv, label: outcome}"

    static func load(_ overrides: [String]) throws -> RunConfig {
        try RunConfig(yaml: configClinicalYAML, source: "clinical.yaml", overrides: overrides)
    }

    /// A config that sets every new key to something other than its default.
    static let everything = [
        csv, "data.features=[age, sex, site]", "data.missing=constant", "data.missing_value=-1.5",
        "data.missing_indicators=true", "data.categorical=[sex, site]", "data.unknown_category=ignore",
        "data.task=binary", "data.validation_path=valid.csv", "data.validation_fraction=0",
        "loss={type: bce_with_logits, pos_weight: 3}", "train.eval_every=10",
        "train.early_stopping={metric: auc, patience: 4, min_delta: 0.001}",
        "output.save_best=true", "output.tensorboard=true",
    ]

    @Test func everyKeyDecodes() throws {
        let config = try Self.load(Self.everything)
        let options = config.data.options
        #expect(options.features == ["age", "sex", "site"])
        #expect(options.missing == .constant(-1.5))
        #expect(options.missingIndicators && options.categorical == ["sex", "site"])
        #expect(options.unknownCategory == .ignore && options.task == .binary)
        #expect(options.validationPath == "valid.csv" && options.validationFraction == nil)
        #expect(config.data.validationFraction == 0 && config.data.hasValidation)
        #expect(config.loss == .bceWithLogits && config.positiveWeight == 3)
        #expect(config.train.earlyStopping == EarlyStopping(metric: "auc", mode: .max, patience: 4, minDelta: 0.001))
        #expect(config.output.saveBest && config.output.tensorboard)

        let excluded = try Self.load([Self.csv, "data.exclude=[patient_id, notes]", "data.missing=median"])
        #expect(excluded.data.options.exclude == ["patient_id", "notes"] && excluded.data.options.missing == .median)
        #expect(excluded.data.options.features == nil && excluded.data.options.task == nil)
    }

    @Test func everyKeyRoundTripsThroughTheCanonicalForm() throws {
        for overrides in [Self.everything, [Self.csv, "data.exclude=[id]", "data.missing=mean"]] {
            let config = try Self.load(overrides)
            let again = try RunConfig(yaml: config.canonicalYAML, source: "canonical.yaml")
            #expect(again == config)
            #expect(again.canonicalYAML == config.canonicalYAML)
            // Codable goes through the same reader: JSON of the canonical form decodes to an equal config.
            let json = try JSONDecoder().decode(RunConfig.self, from: JSONEncoder().encode(config))
            #expect(json == config)
        }
        let text = try Self.load(Self.everything).canonicalYAML
        for line in ["  features: [age, sex, site]", "  missing: constant", "  missing_value: -1.5", "  missing_indicators: true",
                     "  categorical: [sex, site]", "  unknown_category: ignore", "  task: binary", "  validation_path: valid.csv",
                     "  early_stopping:", "    metric: auc", "    mode: max", "    patience: 4", "    min_delta: 0.001",
                     "  save_best: true", "  tensorboard: true", "loss:\n  type: bce_with_logits\n  pos_weight: 3.0"] {
            #expect(text.contains("\n" + line + "\n"), "\(line) in\n\(text)")
        }
        #expect(!text.contains("exclude:"), "exclude holds its default here and is left out")
    }

    /// Spelling a new key out at its default gives the same canonical form and digest as leaving it out.
    @Test func defaultsAreLeftOutOfTheCanonicalForm() throws {
        let plain = try Self.load([Self.csv])
        let spelled = try Self.load([
            Self.csv, "data.exclude=[]", "data.missing=error", "data.missing_indicators=false", "data.categorical=[]",
            "data.unknown_category=error", "data.features=null", "data.task=null", "data.validation_path=null",
            "loss={type: bce_with_logits}", "train.early_stopping=null", "output.save_best=false", "output.tensorboard=false",
        ])
        #expect(spelled.canonicalYAML == plain.canonicalYAML)
        #expect(spelled.configDigest == plain.configDigest)
        for key in ["exclude", "missing", "categorical", "unknown_category", "task", "early_stopping", "save_best",
                    "tensorboard", "pos_weight"] {
            #expect(!plain.canonicalYAML.contains(key + ":"), "\(key) left out")
        }
        #expect(plain.canonicalYAML.contains("\nloss: bce_with_logits\n"))
        // missing: constant with the default value 0 writes the policy but not the value.
        let zero = try Self.load([Self.csv, "data.missing=constant"])
        #expect(zero.data.options.missing == .constant(0))
        #expect(zero.canonicalYAML.contains("  missing: constant\n") && !zero.canonicalYAML.contains("missing_value"))
        #expect(try RunConfig(yaml: zero.canonicalYAML, source: "c.yaml") == zero)
    }

    /// `loss: NAME` is short for `{type: NAME}`: `--set loss.pos_weight=…` extends it, and the two
    /// spellings are one config.
    @Test func posWeightOverridesTheShortForm() throws {
        let set = try Self.load(["loss.pos_weight=2.5"])
        let spelled = try Self.load(["loss={type: bce_with_logits, pos_weight: 2.5}"])
        #expect(set == spelled && set.positiveWeight == 2.5 && set.configDigest == spelled.configDigest)
        #expect(try Self.load(["loss={type: bce_with_logits}"]).configDigest == Self.load([]).configDigest)
    }

    @Test func earlyStoppingModeFollowsTheMetricUnlessGiven() throws {
        func rule(_ value: String) throws -> EarlyStopping? {
            try Self.load(["train.early_stopping=\(value)"]).train.earlyStopping
        }
        #expect(try rule("{}") == EarlyStopping())
        #expect(try rule("{metric: auc}")?.mode == .max)
        #expect(try rule("{metric: mae}")?.mode == .min)
        #expect(try rule("{metric: f1, mode: min}")?.mode == .min)
        #expect(try rule("{mode: max, metric: loss}")?.mode == .max, "key order in the file does not matter")
        #expect(EarlyStopping.metrics.contains("auc"))
    }

    @Test func validationFractionZeroTrainsOnEverything() throws {
        let config = try Self.load(["data.validation_fraction=0"])
        #expect(config.data.split(sampleCount: 20000) == (20000, 0))
        #expect(!config.data.hasValidation)
        try config.checkSampleCount(256)   // no validation sample needed
        let withFile = try Self.load([Self.csv, "data.validation_path=valid.csv"])
        #expect(withFile.data.split(sampleCount: 300) == (300, 0))
        try withFile.checkSampleCount(256)
        #expect(throws: ConfigError.self) { try Self.load([]).checkSampleCount(2) }
    }

    @Test func badValuesAreOneLineNamingTheKey() {
        let cases: [(String, String)] = [
            ("data.missing=mode", "data.missing: expected one of error, mean, median, constant, got 'mode'"),
            ("data.missing_value=3", "data.missing_value: only used with data.missing: constant, not error"),
            ("data.exclude=[a, a]", "data.exclude[1]: duplicate column name 'a'"),
            ("data.exclude=3", "data.exclude: expected a list of column names, got 3"),
            ("data.categorical=['']", "data.categorical[0]: expected a column name, got ''"),
            ("data.features=[1, [2]]", "data.features[1]: expected a string, got a list"),
            ("data.missing_indicators=maybe", "data.missing_indicators: expected true or false, got 'maybe'"),
            ("data.unknown_category=drop", "data.unknown_category: expected one of error, ignore, got 'drop'"),
            ("data.task=ranking", "data.task: expected one of binary, multiclass, regression, got 'ranking'"),
            ("data.validation_path=''", "data.validation_path: expected a file path, got ''"),
            ("data.validation_fraction=1", "data.validation_fraction: expected a number in [0, 1), got 1"),
            ("loss={type: cross_entropy, pos_weight: 3}", "loss.pos_weight: only loss bce_with_logits takes pos_weight, not cross_entropy"),
            ("loss={type: bce_with_logits, pos_weight: 0}", "loss.pos_weight: expected a positive number, got 0"),
            ("loss={type: bce_with_logits, weight: 2}", "loss: unknown key 'weight' (allowed: type, pos_weight)"),
            ("loss={pos_weight: 2}", "loss.type: required key is missing"),
            ("train.early_stopping={metric: bleu}",
             "train.early_stopping.metric: expected one of loss, accuracy, auc, precision, recall, f1, mse, mae, got 'bleu'"),
            ("train.early_stopping={mode: up}", "train.early_stopping.mode: expected one of max, min, got 'up'"),
            ("train.early_stopping={patience: 0}", "train.early_stopping.patience: expected a positive integer, got 0"),
            ("train.early_stopping={min_delta: -1}", "train.early_stopping.min_delta: expected a number ≥ 0, got -1"),
            ("output.save_best=1", "output.save_best: expected true or false, got 1"),
            ("output.tensorboard=on please", "output.tensorboard: expected true or false, got 'on please'"),
        ]
        for (set, message) in cases {
            let overrides = (set.hasPrefix("data.") && !set.hasPrefix("data.validation_fraction") ? [Self.csv] : []) + [set]
            expectConfigErrorContaining(overrides, "clinical.yaml: " + message)
        }
    }

    @Test func keysThatNeedOthersSaySo() {
        expectConfigErrorContaining(["data.exclude=[id]"], "clinical.yaml: data.exclude: not used with data.source synthetic-clinical")
        expectConfigErrorContaining([Self.csv, "data.features=[a]", "data.exclude=[b]"],
                                    "clinical.yaml: data.exclude: not used with data.features")
        expectConfigErrorContaining(["train.eval_every=0", "train.early_stopping={metric: loss}"],
                                    "clinical.yaml: train.early_stopping: needs train.eval_every > 0")
        expectConfigErrorContaining(["data.validation_fraction=0", "train.early_stopping={metric: loss}"],
                                    "clinical.yaml: train.early_stopping: needs validation rows")
    }

    func expectConfigErrorContaining(_ overrides: [String], _ prefix: String, sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            let config = try Self.load(overrides)
            Issue.record("\(overrides) loaded: \(config.configDigest)", sourceLocation: sourceLocation)
        } catch let error as ConfigError {
            #expect(error.description.hasPrefix(prefix), "\(error.description)", sourceLocation: sourceLocation)
            #expect(!error.description.contains("\n"), sourceLocation: sourceLocation)
        } catch {
            Issue.record("expected a ConfigError, got \(error)", sourceLocation: sourceLocation)
        }
    }
}

extension ConfigOptionKeysTests {
    /// Overlap, buckets, sharding and the network model change how a run executes, never its bits:
    /// they are left out of the digest at their defaults and may differ on resume; other keys may not.
    @Test func executionOnlyKeysAreTheDistributedExecutionOptions() throws {
        #expect(Set(RunConfig.executionOnlyKeys) == ["distributed.network", "distributed.overlap", "distributed.bucket_mb",
                                                     "distributed.first_bucket_mb", "distributed.shard_optimizer"])
        let base = try Self.load([])
        let changed = try Self.load(["distributed.overlap=true", "distributed.bucket_mb=4", "distributed.first_bucket_mb=0.5",
                                     "distributed.shard_optimizer=true", "distributed.network={latency_us: 5, gbps: 10}"])
        #expect(changed.configDigest != base.configDigest)
        let differences = changed.differences(from: base)
        #expect(differences.count == 5 && differences.allSatisfy(RunConfig.isExecutionOnly), "\(differences)")
        // The defaults leave the canonical form (and the shipped digests) as they were.
        #expect(try Self.load(["distributed.overlap=false", "distributed.bucket_mb=25"]).configDigest == base.configDigest)
        let reduction = try Self.load(["distributed.reduction=mpi"]).differences(from: base)
        #expect(reduction.map(\.key) == ["distributed.reduction"] && !reduction.allSatisfy(RunConfig.isExecutionOnly))
        // A nested key of the network counts as the network.
        let faster = try Self.load(["distributed.network={latency_us: 5, gbps: 25}"])
            .differences(from: try Self.load(["distributed.network={latency_us: 5, gbps: 10}"]))
        #expect(faster.map(\.key) == ["distributed.network.gbps"] && faster.allSatisfy(RunConfig.isExecutionOnly))
    }

    /// `distributed.overlap` is `true`, `false` or `auto`; the first two stay bools in the canonical
    /// form (so digests written before `auto` existed still match).
    @Test func overlapIsABoolOrAuto() throws {
        #expect(try Self.load(["distributed.overlap=auto"]).distributed.overlap == .auto)
        #expect(try Self.load(["distributed.overlap=true"]).distributed.overlap == .on)
        #expect(try Self.load(["distributed.overlap=true"]).canonicalYAML.contains("overlap: true"))
        #expect(try Self.load(["distributed.overlap=auto"]).canonicalYAML.contains("overlap: auto"))
        expectConfigErrorContaining(["distributed.overlap=maybe"],
                                    "clinical.yaml: distributed.overlap: expected one of false, true, auto, got 'maybe'")
    }
}
