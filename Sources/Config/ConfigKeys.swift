/// Every key of the configuration, written once: name, type, range, required or not, the variants
/// that take it and its documentation line. The strict decoder, the canonical emitter (and so the
/// digest), range validation, `--set` variant handling and the key tables in docs/config.md are all
/// derived from these tables. Defaults come from each type's initialiser (`blank`).
///
/// Adding a key: add a stored property with its default to the type in RunConfig.swift, add one
/// line here, run `lockstep config --doc-table --write docs/config.md`. A key added to a mapping that
/// shipped configs already use must not change their canonical form (and digest): give it
/// `.omittedWhenDefault()`, or use a kind that leaves out its absent value (`optional…`,
/// `optionalSection(omittedWhenAbsent:)`). ShippedConfigDigestTests pins the shipped digests.
enum ConfigSchema {
    static var root: ConfigSection<RunConfig> {
        ConfigSection(discriminator: nil, fields: [
            .uint64("seed", \.seed, doc: "Seed of every counter-based random stream: initial weights, data order, dropout masks."),
            .section("model", \.model, model, required: true, doc: "The network, below."),
            .section("data", \.data, data, required: true, doc: "Where samples come from, below."),
            .loss("loss",
                  doc: "`bce_with_logits`: binary classification on one logit. `cross_entropy`: one logit per class "
                    + "(≥ 2). `mse`: regression on one output. The mapping form `{type: bce_with_logits, pos_weight: 3}` "
                    + "weights the positive term (number > 0, as PyTorch's `BCEWithLogitsLoss(pos_weight=…)`), "
                    + "for imbalanced labels; `bce_with_logits` only."),
            .section("batch", \.batch, batch, required: true, doc: "Global and micro-batch sizes, below."),
            .section("optimizer", \.optimizer, optimizer, required: true, doc: "Below."),
            .section("schedule", \.schedule, schedule, doc: "Learning-rate schedule, below."),
            .section("train", \.train, train, required: true, doc: "Run length, evaluation, logging, clipping."),
            .section("distributed", \.distributed, distributed, doc: "Below."),
            .section("output", \.output, output, required: true, doc: "Run directory and checkpoints."),
        ], blank: { _ in
            RunConfig(model: model.blank(nil), data: data.blank("synthetic-clinical"), loss: .mse, batch: batch.blank(nil),
                      optimizer: optimizer.blank("sgd"), train: train.blank(nil), output: output.blank(nil))
        })
    }

    static var model: ConfigSection<ModelConfig> {
        ConfigSection(discriminator: nil, fields: [
            .int("input", \.input, required: true, range: .positive, doc: "Number of input features."),
            .list("layers", \.layers, layer, typeText: "list of layers", required: true,
                  doc: "Applied in order, like `nn.Sequential`. At least one."),
            .bool("checkpoint_activations", \.checkpointActivations,
                  doc: "Recompute activations in the backward pass instead of keeping them (less memory, more time)."),
        ], blank: { _ in ModelConfig(input: 0, layers: []) })
    }

    static var layer: ConfigSection<LayerConfig> {
        let norms = ["batchnorm1d", "layernorm"]
        return ConfigSection(
            discriminator: .init(key: "type", names: LayerType.allCases.map(\.rawValue), fallback: nil,
                                 label: "layer type", variant: { $0.kind.typeName }),
            fields: [
                .optionalString("name", \.name, range: .identifier,
                                doc: "Module name (letters, digits, `_`; unique); default: the index in the list."),
                .variant("type", names: LayerType.allCases.map(\.rawValue), required: true, { $0.kind.typeName },
                         doc: "The layer."),
                .int("out", \.out, required: true, range: .positive, for: ["linear"], doc: "Output features."),
                .bool("bias", \.bias, for: ["linear"], doc: "Add a bias."),
                .number("eps", \.eps, range: .positive, for: norms, doc: "Added to the variance."),
                .number("momentum", \.momentum, range: .unit(closedTop: true), for: ["batchnorm1d"],
                        doc: "Weight of the newest batch in the running statistics."),
                .bool("affine", \.affine, for: ["batchnorm1d"], doc: "Learn a scale and shift per feature."),
                .bool("elementwise_affine", \.elementwiseAffine, for: ["layernorm"],
                      doc: "Learn a scale and shift per feature."),
                .number("negative_slope", \.negativeSlope, for: ["leaky_relu"], doc: "Slope for negative inputs."),
                .number("p", \.p, range: .unit(closedTop: false), for: ["dropout"],
                        doc: "Probability of zeroing an element in training."),
            ],
            blank: { LayerConfig(LayerType(rawValue: $0 ?? "")?.defaultKind ?? .relu) })
    }

    static var data: ConfigSection<DataConfig> {
        let csv = ["csv"]
        return ConfigSection(
            discriminator: .init(key: "source", names: DataConfig.Source.Kind.allCases.map(\.rawValue), fallback: nil,
                                 label: "data.source", variant: { $0.source.name }),
            fields: [
                .variant("source", names: DataConfig.Source.Kind.allCases.map(\.rawValue), required: true,
                         { $0.source.name }, doc: "Where samples come from."),
                .int("samples", \.samples, required: true, range: .positive, for: ["synthetic-clinical", "synthetic-wide"],
                     doc: "Samples to generate (`synthetic-clinical`: the built-in clinical data set, binary outcome)."),
                .int("features", \.features, required: true, range: .positive, for: ["synthetic-wide"],
                     doc: "Random features for speed work; `model.input` must equal it."),
                .int("classes", \.classes, required: true, range: .atLeastTwo, for: ["synthetic-wide"],
                     doc: "Labels in `0..<classes`: with `cross_entropy` the model outputs `classes` logits, with "
                        + "`bce_with_logits` it must be 2; `mse` is not allowed."),
                .string("path", \.csvPath, required: true, range: .nonEmpty("a file path"), for: ["csv"],
                        doc: "A CSV file with a header row, relative to the current directory."),
                .string("label", \.csvLabel, required: true, range: .nonEmpty("a column name"), for: ["csv"],
                        doc: "The target column; every other column is a feature."),
                .number("validation_fraction", \.validationFraction, range: .unit(closedTop: false),
                        doc: "Share held out for validation: `round(n × fraction)` samples, the rest train. `0`: "
                            + "train on every sample; the run then has no validation metrics."),
                .bool("shuffle", \.shuffle, doc: "Reshuffle training samples each epoch (a pure function of seed and epoch)."),
                .bool("standardize", \.standardize,
                      doc: "Scale each feature to mean 0, variance 1 with training-split statistics."),
                .optionalStringList("features", \.options.features, what: "column name", for: csv,
                                    doc: "The feature columns, in the order the model sees them. Absent: every column "
                                        + "but the label and `exclude`, in file order."),
                .stringList("exclude", \.options.exclude, what: "column name", for: csv,
                            doc: "Columns never used as features (ids, free text); only without `features`.")
                    .omittedWhenDefault(),
                .missing("missing", for: csv,
                         doc: "An empty feature cell: `error` refuses the row (naming file, line, column); `mean`, "
                            + "`median`: the training split's; `constant`: `missing_value`.")
                    .omittedWhenDefault(),
                .missingValue("missing_value", for: csv, doc: "The value `missing: constant` fills in.")
                    .omittedWhenDefault(),
                .bool("missing_indicators", \.options.missingIndicators, for: csv,
                      doc: "Add a 0/1 column `NAME__missing` after each numeric column that had an empty cell in "
                        + "the training split.")
                    .omittedWhenDefault(),
                .stringList("categorical", \.options.categorical, what: "column name", for: csv,
                            doc: "Text columns one-hot encoded; categories from the training split, sorted.")
                    .omittedWhenDefault(),
                .choice("unknown_category", \.options.unknownCategory, for: csv,
                        doc: "A category the training split never showed: `error` refuses the row; `ignore`: "
                            + "all-zero one-hot block.")
                    .omittedWhenDefault(),
                .optionalChoice("task", \.options.task, for: csv,
                                doc: "The learning task. Absent: inferred from the label column (docs/datasets.md)."),
                .optionalString("validation_path", \.options.validationPath, range: .nonEmpty("a file path"), for: csv,
                                doc: "A separate labelled CSV for validation; every row of `path` then trains "
                                    + "(`validation_fraction` is not used)."),
            ],
            blank: { DataConfig(source: DataConfig.Source.Kind(rawValue: $0 ?? "")?.blank ?? .syntheticClinical(samples: 0)) })
    }

    static var batch: ConfigSection<BatchConfig> {
        ConfigSection(discriminator: nil, fields: [
            .int("global", \.global, required: true, range: .positive, doc: "Samples per optimizer step over all ranks."),
            .int("micro", \.micro, required: true, range: .positive,
                 doc: "Samples per forward/backward pass (and per ghost batch-norm batch)."),
        ], blank: { _ in BatchConfig(global: 0, micro: 0) })
    }

    static var optimizer: ConfigSection<OptimizerConfig> {
        let sgd = ["sgd"], adams = ["adam", "adamw"]
        return ConfigSection(
            discriminator: .init(key: "type", names: OptimizerConfig.Kind.allCases.map(\.rawValue), fallback: nil,
                                 label: "optimizer.type", variant: { $0.type.rawValue }),
            fields: [
                .variant("type", names: OptimizerConfig.Kind.allCases.map(\.rawValue), required: true,
                         { $0.type.rawValue }, doc: "The update rule."),
                .number("lr", \.lr, required: true, range: .positive, doc: "Base learning rate (before `lr_scaling`)."),
                .number("weight_decay", \.weightDecay, range: .nonNegative,
                        doc: "L2 penalty for sgd/adam, decoupled decay for adamw."),
                .number("momentum", \.momentum, range: .unit(closedTop: false), for: sgd, doc: "Momentum factor."),
                .number("dampening", \.dampening, range: .unit(closedTop: true), for: sgd, doc: "Dampening of the momentum."),
                .bool("nesterov", \.nesterov, for: sgd, doc: "Nesterov momentum; needs `momentum` > 0 and `dampening` 0."),
                .numberPair("betas", \.betas, range: .unit(closedTop: false), shape: "[beta1, beta2]", for: adams,
                            doc: "Decay rates of the first and second moment estimates."),
                .number("eps", \.eps, range: .positive, for: adams, doc: "Added to the denominator."),
                .optionalSection("lr_scaling", \.lrScaling, lrScaling,
                                 doc: "`{reference_batch: N, rule: linear}`: use `lr × global / N` "
                                    + "(`rule: sqrt`: `lr × sqrt(global / N)`)."),
            ],
            blank: { OptimizerConfig(type: OptimizerConfig.Kind(rawValue: $0 ?? "") ?? .sgd, lr: 0) })
    }

    static var lrScaling: ConfigSection<OptimizerConfig.LRScaling> {
        ConfigSection(discriminator: nil, fields: [
            .int("reference_batch", \.referenceBatch, required: true, range: .positive,
                 doc: "The global batch at which `lr` is given."),
            .choice("rule", \.rule, doc: "`linear`: `lr × global / reference_batch`; `sqrt`: its square root."),
        ], blank: { _ in OptimizerConfig.LRScaling(referenceBatch: 0) })
    }

    static var schedule: ConfigSection<ScheduleConfig> {
        ConfigSection(
            discriminator: .init(key: "type", names: ScheduleConfig.Kind.allCases.map(\.rawValue), fallback: "constant",
                                 label: "schedule.type", variant: { $0.type.rawValue }),
            fields: [
                .variant("type", names: ScheduleConfig.Kind.allCases.map(\.rawValue), required: false,
                         { $0.type.rawValue }, doc: "The shape of the learning rate over the run."),
                .int("warmup_steps", \.warmupSteps, range: .nonNegative,
                     doc: "Linear warm-up over the first steps; at most `train.steps`."),
                .number("min_lr", \.minLR, range: .nonNegative, for: ["cosine"],
                        doc: "Learning rate reached at the last step (absolute, not scaled); at most the learning rate."),
                .int("step_size", \.stepSize, required: true, range: .positive, for: ["step"],
                     doc: "Multiply the learning rate by `gamma` every `step_size` steps."),
                .number("gamma", \.gamma, range: .openUnit(closedTop: true), for: ["step"], doc: "The factor."),
            ],
            blank: { ScheduleConfig(type: ScheduleConfig.Kind(rawValue: $0 ?? "") ?? .constant) })
    }

    static var train: ConfigSection<TrainConfig> {
        ConfigSection(discriminator: nil, fields: [
            .int("steps", \.steps, required: true, range: .positive, doc: "Optimizer steps to run."),
            .int("eval_every", \.evalEvery, range: .nonNegative,
                 doc: "Evaluate on the validation split every N steps; `0`: only after the last step."),
            .int("log_every", \.logEvery, range: .nonNegative, doc: "Log metrics every N steps; `0`: never."),
            .optionalNumber("grad_clip_norm", \.gradClipNorm, range: .positive,
                            doc: "Clip the global gradient L2 norm to this value."),
            .optionalSection("early_stopping", \.earlyStopping, earlyStopping, omittedWhenAbsent: true,
                             doc: "`{metric: auc, patience: 3}`: stop when a validation metric has not improved for "
                                + "`patience` evaluations (below). Needs `eval_every` > 0 and validation rows. Absent: off."),
        ], blank: { _ in TrainConfig(steps: 0) })
    }

    static var earlyStopping: ConfigSection<EarlyStopping> {
        ConfigSection(discriminator: nil, fields: [
            .metric("metric", doc: "The validation metric watched at each evaluation."),
            .choice("mode", \.mode, doc: "`max`: higher is better; `min`: lower. Default: `min` for loss, mse and mae, "
                        + "`max` for the others."),
            .int("patience", \.patience, range: .positive, doc: "Evaluations without improvement after which training stops."),
            .number("min_delta", \.minDelta, range: .nonNegative,
                    doc: "An improvement must beat the best value by more than this."),
        ], blank: { _ in EarlyStopping() })
    }

    static var distributed: ConfigSection<DistributedConfig> {
        ConfigSection(discriminator: nil, fields: [
            .choice("reduction", \.reduction,
                    doc: "`deterministic`: fixed-order tree allreduce, results independent of the world size. "
                        + "`mpi`: plain `MPI_Allreduce`, faster, equal only up to rounding."),
            .int("check_every", \.checkEvery, range: .nonNegative,
                 doc: "Compare a digest of the parameters across ranks every N steps; `0`: never."),
            .optionalSection("network", \.network, network, omittedWhenAbsent: true,
                             doc: "`{latency_us: 5, gbps: 10}`: charge every transfer the time of that network "
                                + "(time only, never bits; docs/scaling.md). Absent: the real transport.")
                .executionOnlyKey(),
            .switchOrAuto("overlap", \.overlap,
                  doc: "Reduce gradient buckets on a communication thread during the last micro-batch's backward "
                    + "(same bits; docs/scaling.md, \"Overlap and ZeRO-1\", says when it pays). `auto`: time the first "
                    + "steps both ways on every rank and keep the faster.")
                .omittedWhenDefault().executionOnlyKey(),
            .number("bucket_mb", \.bucketMB, range: .positive,
                    doc: "Bucket size for `overlap`, in MB: a bucket is closed once it reaches it (PyTorch DDP's `bucket_cap_mb`).")
                .omittedWhenDefault().executionOnlyKey(),
            .number("first_bucket_mb", \.firstBucketMB, range: .positive,
                    doc: "Size of the first bucket (the last layers', ready first), in MB, and of the buckets "
                      + "the first layer's gradients (finished last) are cut into.")
                .omittedWhenDefault().executionOnlyKey(),
            .bool("shard_optimizer", \.shardOptimizer,
                  doc: "ZeRO-1: each rank holds and updates the optimizer state of its 1/W of the parameters, then "
                    + "parameters are allgathered (same bits; `reduction: deterministic` only).")
                .omittedWhenDefault().executionOnlyKey(),
        ], blank: { _ in DistributedConfig() })
    }

    static var network: ConfigSection<NetworkConfig> {
        ConfigSection(discriminator: nil, fields: [
            .number("latency_us", \.latencyUs, range: .nonNegative, doc: "Latency α of every transfer, in µs."),
            .number("gbps", \.gbps, required: true, range: .positive, doc: "Bandwidth β in Gbit/s."),
        ], blank: { _ in NetworkConfig(gbps: 0) })
    }

    static var output: ConfigSection<OutputConfig> {
        ConfigSection(discriminator: nil, fields: [
            .string("dir", \.dir, required: true, range: .nonEmpty("a directory path"),
                    doc: "Run directory (metrics, checkpoints), relative to the current directory."),
            .int("checkpoint_every", \.checkpointEvery, range: .nonNegative,
                 doc: "Write a checkpoint every N steps; `0`: never."),
            .int("keep_checkpoints", \.keepCheckpoints, range: .positive, doc: "Checkpoints kept; older ones are deleted."),
            .bool("save_best", \.saveBest,
                  doc: "Keep `best.safetensors`, the weights of the best evaluation (by `train.early_stopping`'s metric, "
                    + "else validation loss); summary.json records its step and value.")
                .omittedWhenDefault(),
            .bool("tensorboard", \.tensorboard, doc: "Write TensorBoard scalar event files under `OUT/tensorboard/`.")
                .omittedWhenDefault(),
        ], blank: { _ in OutputConfig(dir: "") })
    }
}
