import Foundation
import TensorCore
import Distributed
import Config
import Training

/// Bytes of optimizer state each rank holds, with and without ZeRO-1 sharding
/// (`distributed.shard_optimizer`), measured from the trainer's own state tensors on every rank of a
/// simulated world: unsharded every rank holds the whole state; sharded, its 1/W (within a block of
/// the shard cut, `ParameterShards`).
///
/// ```swift
/// let row = try OptimizerStateMemory(name: "wide-mlp", config: wide).measure(ranks: 4)
/// print(row.line)     // optimizer_state model=wide-mlp … ranks=4 sharded_bytes_per_rank=… ratio=0.2500
/// ```
public struct OptimizerStateMemory {
    public struct Row: Sendable {
        public let name: String
        public let optimizer: String
        public let ranks: Int
        /// The whole state (what one unsharded rank holds).
        public let unshardedBytes: Int
        /// The largest and smallest state of a rank with sharding.
        public let shardedBytesMax: Int
        public let shardedBytesMin: Int

        public var ratio: Double { Double(shardedBytesMax) / Double(unshardedBytes) }

        public var line: String {
            "optimizer_state model=\(name) optimizer=\(optimizer) ranks=\(ranks) unsharded_bytes_per_rank=\(unshardedBytes) "
                + "sharded_bytes_per_rank=\(shardedBytesMax) sharded_min=\(shardedBytesMin) ratio=\(String(format: "%.4f", ratio)) "
                + "ideal=\(String(format: "%.4f", 1 / Double(ranks)))"
        }
    }

    public let name: String
    public let config: RunConfig

    public init(name: String, config: RunConfig) {
        self.name = name
        self.config = config
    }

    /// Builds the trainer on `ranks` simulated ranks, unsharded and sharded, and reads each rank's
    /// optimizer state bytes (no step is taken: the state is allocated up front).
    public func measure(ranks: Int) throws -> Row {
        func perRank(sharded: Bool) throws -> [Int] {
            var c = config
            c.distributed.shardOptimizer = sharded
            // Enough micro-batches for every world size; the state does not depend on the batch.
            c.batch.global = max(c.batch.global, c.batch.micro * ranks)
            let data = try PreparedData(config: c)
            return try SimulatedWorld.run(ranks: ranks) { [c] comm in
                let trainer = try Trainer(config: c, data: data, communicator: comm)
                return trainer.optimizer.stateTensors().reduce(0) { $0 + $1.tensor.byteCount }
            }
        }
        let whole = try perRank(sharded: false)
        let sharded = try perRank(sharded: true)
        return Row(name: name, optimizer: config.optimizer.type.rawValue, ranks: ranks, unshardedBytes: whole.max() ?? 0,
                   shardedBytesMax: sharded.max() ?? 0, shardedBytesMin: sharded.min() ?? 0)
    }
}
