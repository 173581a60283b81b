import TensorCore

/// An epoch order that reads well from disk (`data.order: blocks`): the rows are cut into blocks of
/// `blockRows` consecutive rows, the blocks are put in a keyed order and grouped into windows of
/// `windowBlocks`, and each window's rows are visited in a keyed order of their own. So a micro-batch's
/// rows are spread over a window's blocks (16 blocks of 128 rows: 2,048 rows) and a reader that fetches
/// whole blocks (`PackedRows`) makes one read per block, not one per row — the order WebDataset's and
/// Megatron's loaders use for data on disk. Like `KeyedPermutation` it is a bijection of `0..<count`
/// computed per position in O(1) memory, a pure function of `(seed, epoch, count)`, never of the world
/// size; the same order in memory and from a pack gives the same bits.
///
/// What it gives up against a full shuffle: the rows of one block are in the same window, so a
/// micro-batch holds clusters of rows that were neighbours in the file (about `micro / windowBlocks`
/// from each block). For a file in random order that changes nothing; a file sorted by, say, date or
/// label should be packed from a shuffled copy or trained with `keyed`.
///
/// ```swift
/// let order = BlockWindowOrder(count: 2_000_000, seed: 7, epoch: 0)
/// let sample = order.sample(at: p)          // the sample visited p-th
/// ```
public struct BlockWindowOrder: EpochOrder, Hashable {
    public static let blockRows = 128
    public static let windowBlocks = 16

    public let count: Int
    public let seed: UInt64
    public let epoch: UInt32
    private let blocks: KeyedPermutation
    /// Rows of the last block (1…blockRows), which may be short; where its slot falls.
    private let lastBlockRows: Int
    private let shortWindow: Int, shortSlot: Int

    public init(count: Int, seed: UInt64, epoch: Int) {
        precondition(count >= 0 && epoch >= 0 && epoch <= Int(UInt32.max), "BlockWindowOrder(\(count), epoch \(epoch))")
        (self.count, self.seed, self.epoch) = (count, seed, UInt32(epoch))
        let k = Self.blockRows, blockCount = (count + k - 1) / k
        precondition(blockCount / Self.windowBlocks < Int(UInt32.max) - 3, "too many rows for BlockWindowOrder")
        blocks = KeyedPermutation(count: blockCount, key: RandomKey(seed: seed, stream: .shuffle, a: UInt32(epoch), b: 2))
        lastBlockRows = count - (blockCount - 1) * k
        // Where the last block (the only one that may be short) is visited: its window and slot.
        let slot = blockCount > 0 ? blocks.position(of: blockCount - 1) : 0
        (shortWindow, shortSlot) = (slot / Self.windowBlocks, slot % Self.windowBlocks)
    }

    private var blockCount: Int { blocks.count }
    /// Rows the short block lacks (0 when the last block is whole).
    private var deficit: Int { Self.blockRows - lastBlockRows }

    /// First position of window `w`: every window before it holds `windowBlocks` whole blocks, but
    /// for the short block's.
    private func windowStart(_ w: Int) -> Int {
        w * Self.windowBlocks * Self.blockRows - (w > shortWindow ? deficit : 0)
    }

    private func windowRows(_ w: Int) -> Int {
        let slots = min(Self.windowBlocks, blockCount - w * Self.windowBlocks)
        return slots * Self.blockRows - (w == shortWindow ? deficit : 0)
    }

    public func sample(at position: Int) -> Int {
        precondition(position >= 0 && position < count, "position \(position) outside 0..<\(count)")
        let k = Self.blockRows, windowCount = (blockCount + Self.windowBlocks - 1) / Self.windowBlocks
        var w = position / (Self.windowBlocks * k)
        while w + 1 < windowCount, windowStart(w + 1) <= position { w += 1 }
        while windowStart(w) > position { w -= 1 }
        let inner = KeyedPermutation(count: windowRows(w), key: RandomKey(seed: seed, stream: .shuffle, a: epoch, b: UInt32(3 + w)))
        let u = inner.index(at: position - windowStart(w))
        // The window's rows are its blocks in slot order, the short block (if here) shorter.
        var slot = u / k, offset = u % k
        if w == shortWindow, slot >= shortSlot {
            let intoShort = u - shortSlot * k
            if intoShort < lastBlockRows {
                (slot, offset) = (shortSlot, intoShort)
            } else {
                let after = intoShort - lastBlockRows
                (slot, offset) = (shortSlot + 1 + after / k, after % k)
            }
        }
        return blocks.index(at: w * Self.windowBlocks + slot) * k + offset
    }
}
