import TensorCore

/// An optimizer whose update of a tensor depends on norms over the whole tensor (LARS, LAMB): the
/// trust ratio `‖p‖ / ‖update‖` of each parameter tensor. It cannot update a bucket before the
/// others are reduced, so it updates its whole shard in one `step`, and under optimizer-state
/// sharding the ranks exchange their pieces of each norm (`TensorNorms`) through `shardExchange`,
/// which the trainer sets. Unsharded, every rank holds every gradient and needs no exchange.
///
/// ```swift
/// let lamb = try LAMB(parameters: model.namedParameters(), lr: 1e-3, weightDecay: 0.01, shard: mine)
/// lamb.shardExchange = ShardExchange(shards: allShards) { bytes, part in try allGather(bytes, part) }
/// try lamb.step()
/// ```
public protocol LayerwiseOptimizer: Optimizer {
    /// How the ranks exchange norm pieces under optimizer-state sharding; nil: one rank holds all.
    var shardExchange: ShardExchange? { get set }
    /// Per parameter: whether it gets a trust ratio and weight decay (false for the excluded ones).
    var adapted: [Bool] { get }
}

/// Every rank's shard in rank order, and the allgather that moves each rank's bytes to all.
public struct ShardExchange {
    public let shards: [Range<Int>]
    public let allGather: StateAllGather

    public init(shards: [Range<Int>], allGather: @escaping StateAllGather) {
        (self.shards, self.allGather) = (shards, allGather)
    }
}

/// Which parameters a layer-wise optimizer leaves out of the trust ratio and of weight decay. The
/// usual choice (You et al.; timm's and apex's recipes) excludes biases and normalisation scales and
/// shifts, which `oneDimensional` catches by shape: every parameter with fewer than two dimensions.
///
/// ```swift
/// let lars = try LARS(parameters: ps, lr: 2, exclude: .matching { name, _ in name.hasSuffix(".bias") })
/// ```
public struct AdaptationExclusion {
    public let excludes: (_ name: String, _ tensor: Tensor) -> Bool

    public static var oneDimensional: AdaptationExclusion { AdaptationExclusion { _, tensor in tensor.shape.count < 2 } }
    public static var none: AdaptationExclusion { AdaptationExclusion { _, _ in false } }
    public static func matching(_ rule: @escaping (_ name: String, _ tensor: Tensor) -> Bool) -> AdaptationExclusion {
        AdaptationExclusion(excludes: rule)
    }
}

/// The norm bookkeeping LARS and LAMB share: the pieces of this optimizer's shard, two sums of
/// squares per piece (the parameter and its update direction), and the exchange that completes them.
struct LayerwiseNorms {
    var norms: TensorNorms
    /// The indices of the pieces in this optimizer's shard.
    let mine: Range<Int>
    let adapted: [Bool]
    /// The shards of the last exchange, checked and cut into piece ranges once: the layout is fixed
    /// for a run, so each step only compares it.
    private var exchangeLayout: (shards: [Range<Int>], pieces: [Range<Int>])?

    init(_ buffer: ParameterBuffer, shard: Range<Int>, exclude: AdaptationExclusion, optimizer: String) throws {
        norms = TensorNorms(segments: buffer.segments, quantities: 2)
        guard norms.isAligned([shard]) else {
            throw OptimizerError.invalidCombination(
                optimizer: optimizer, reason: "a shard must start and end on a \(GradientNorm.blockSize)-element block boundary, got \(shard.lowerBound)..<\(shard.upperBound)")
        }
        mine = norms.pieces(in: shard)
        adapted = buffer.entries.map { !exclude.excludes($0.name, $0.tensor) }
    }

    /// Records piece `k`'s sums of squares of the parameter and of the update direction.
    mutating func record(piece k: Int, parameter: Double, direction: Double) {
        norms.sums[2 * k] = parameter
        norms.sums[2 * k + 1] = direction
    }

    /// Each parameter's (‖p‖, ‖direction‖), after the ranks have exchanged their pieces. Pieces of
    /// parameters without a gradient or not adapted were left at zero and are never read.
    mutating func complete(_ exchange: ShardExchange?, optimizer: String) throws -> [(parameter: Double, direction: Double)] {
        if let exchange, exchange.shards.count > 1 {
            if exchangeLayout?.shards != exchange.shards {
                guard norms.isAligned(exchange.shards) else {
                    throw OptimizerError.invalidCombination(
                        optimizer: optimizer, reason: "every shard must start and end on a \(GradientNorm.blockSize)-element block boundary")
                }
                exchangeLayout = (exchange.shards, exchange.shards.map { norms.pieces(in: $0) })
            }
            try norms.exchange(pieces: exchangeLayout!.pieces, allGather: exchange.allGather)
        }
        return zip(norms.totals(0), norms.totals(1)).map { ($0.squareRoot(), $1.squareRoot()) }
    }

    /// The step must cover the whole shard in one call: the trust ratio needs every piece first.
    static func checkWholeShard(_ elements: Range<Int>, _ shard: Range<Int>, optimizer: String) throws {
        guard elements == shard else {
            throw OptimizerError.invalidCombination(
                optimizer: optimizer, reason: "a layer-wise optimizer updates its whole shard \(shard.lowerBound)..<\(shard.upperBound) in one step, got \(elements.lowerBound)..<\(elements.upperBound)")
        }
    }
}
