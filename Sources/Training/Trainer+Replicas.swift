import TensorCore
import Optim
import Distributed

/// What keeps the ranks' replicas one: the same start, a check that they stay equal, the gradient
/// norm computed over shards, and the optimizer state gathered for a checkpoint.
extension Trainer {
    /// Copies rank 0's parameters and buffers to every rank, so that all replicas start identical
    /// whatever each one loaded or initialised.
    public func broadcastState() throws {
        guard communicator.worldSize > 1 else { return }
        try communicator.broadcast(UnsafeMutableRawBufferPointer(start: flat.values.rawPointer, count: flat.values.byteCount), root: 0)
        for (_, buffer) in model.namedBuffers() {
            try communicator.broadcast(UnsafeMutableRawBufferPointer(start: buffer.rawPointer, count: buffer.byteCount), root: 0)
        }
    }

    /// Compares a digest of this replica's parameters and buffers with rank 0's on every rank; throws
    /// (on every rank alike) when any replica differs.
    public func checkReplicas() throws {
        let digest = ReplicaDigest.hash(model.stateDict().map(\.tensor))
        let diverged = try ReplicaDigest.mismatchedRanks(digest, over: communicator)
        guard diverged.isEmpty else {
            let ranks = diverged.map(String.init).joined(separator: ", ")
            throw TrainingError("replicas diverged after step \(completedSteps): the parameters of rank\(diverged.count > 1 ? "s" : "") \(ranks) differ from rank 0's")
        }
    }

    /// The optimizer's whole state, as an unsharded run holds it (gathered from every rank's shard
    /// under ZeRO-1, so that checkpoints do not depend on sharding). Every rank must call it.
    public func optimizerStateForCheckpoint() throws -> [(name: String, tensor: Tensor)] {
        guard let shards = gradientSync.shards else { return optimizer.stateTensors() }
        return try optimizer.gatheredStateTensors(shards: (0..<communicator.worldSize).map(shards.shard(ofRank:))) {
            try gradientSync.allGather(bytes: $0, part: $1)
        }
    }

    /// `clipGradNorm` over the summed gradients, of which this rank holds `owned`: with a shard, the
    /// norm's block sums are computed per shard and gathered, so every rank gets the unsharded bits.
    func clipGradients(_ owned: Range<Int>, maxNorm: Double) throws -> Double {
        guard let shards = gradientSync.shards else {
            return clipGradNorm(flatGradients: flat.gradients, maxNorm: maxNorm)
        }
        let b = GradientNorm.blockSize
        let blocks = { (r: Int) -> Range<Int> in
            let shard = shards.shard(ofRank: r)
            return shard.lowerBound / b ..< (shard.upperBound + b - 1) / b
        }
        var sums = [Double](repeating: 0, count: (flat.gradients.count + b - 1) / b)
        let mine = GradientNorm.blockSquaredSums(flat.gradients, elements: owned)
        sums.replaceSubrange(blocks(communicator.rank), with: mine)
        try sums.withUnsafeMutableBytes { bytes in
            try gradientSync.allGather(bytes: bytes) { r in blocks(r).lowerBound * 8 ..< blocks(r).upperBound * 8 }
        }
        let total = GradientNorm.total(sums).squareRoot()
        let coefficient = GradientNorm.clipCoefficient(total: total, maxNorm: maxNorm)
        if coefficient != 1 { GradientNorm.scale(flat.gradients, owned, by: coefficient) }
        return total
    }
}
