import TensorCore
import Config
import Distributed

/// The trainer a run config describes — the YAML/CLI path as a recipe over the library API: the
/// model from `ModelBuilder`, the config's loss summed over each micro-batch (`Evaluator`'s), the
/// optimizer and schedule from `OptimizerFactory`, the batch and options from their keys.
extension Trainer {
    /// `initialState` is loaded into the model before anything else (`--init`); `positiveWeight`
    /// overrides the config's `loss.pos_weight` when given.
    public convenience init(config: RunConfig, data: PreparedData, communicator: Communicator = LocalCommunicator(),
                            initialState: [String: Tensor]? = nil, initialSource: String = "initial state",
                            positiveWeight: Double? = nil) throws {
        let model = try ModelBuilder.build(config)
        if let initialState { try model.loadStateDict(initialState, source: initialSource) }
        let evaluator = Evaluator(loss: config.loss, positiveWeight: positiveWeight ?? config.positiveWeight)
        try self.init(model: model, data: data.train,
                      loss: { model, batch in try evaluator.lossValue(model(batch.inputs), batch.targets, reduction: .sum) },
                      optimizer: { try OptimizerFactory.makeOptimizer(config, parameters: $0, shard: $1) },
                      schedule: OptimizerFactory.makeSchedule(config), batch: config.batch,
                      options: TrainerOptions(seed: config.seed, shuffle: config.data.shuffle, order: config.data.order,
                                              gradClipNorm: config.train.gradClipNorm, distributed: config.distributed),
                      communicator: communicator)
    }
}
