/// How optimizer-state sharding (ZeRO-1) cuts the flat parameter buffer among W ranks: rank r owns
/// one contiguous shard, the shards tile the buffer in rank order, and every cut falls on a multiple
/// of `alignment` elements (the gradient norm's block, so that each rank sums whole blocks), the
/// blocks being shared out as evenly as `TreeExchange.chunk` shares elements. With fewer blocks than
/// ranks the last ranks own nothing.
///
/// ```swift
/// let shards = ParameterShards(count: 10_000, worldSize: 3, alignment: 1024)
/// shards.shard(ofRank: 0)        // 0..<4096 (blocks 0–3)
/// shards.shard(ofRank: 2)        // 7168..<10000
/// ```
public struct ParameterShards: Sendable, Equatable {
    public let count: Int
    public let worldSize: Int
    public let alignment: Int

    public init(count: Int, worldSize: Int, alignment: Int) {
        precondition(count >= 0 && worldSize >= 1 && alignment >= 1, "ParameterShards(\(count), \(worldSize), \(alignment))")
        self.count = count
        self.worldSize = worldSize
        self.alignment = alignment
    }

    /// The elements rank `r` owns.
    public func shard(ofRank r: Int) -> Range<Int> {
        let blocks = (count + alignment - 1) / alignment
        let owned = TreeExchange.chunk(r, of: 0..<blocks, parts: worldSize)
        return min(owned.lowerBound * alignment, count) ..< min(owned.upperBound * alignment, count)
    }

    /// The part of `range` that rank `r` owns (possibly empty).
    public func part(of range: Range<Int>, rank r: Int) -> Range<Int> {
        range.clamped(to: shard(ofRank: r))
    }
}
