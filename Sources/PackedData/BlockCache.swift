import Foundation
import Datasets

/// Blocks of `blockRows` consecutive rows that a `PackedRows` read whole, so that the micro-batches of
/// one window of `data.order: blocks` (`BlockWindowOrder`: 16 blocks, 2,048 rows) cost one read per
/// block instead of one per row. Bounded: `slots` blocks (four windows' worth, 688 KB for 20
/// features), found by a scan of their tags (a batch looks up each of its blocks once) and replaced
/// oldest first. Not thread-safe by itself: `PackedRows` holds `lock` around a batch, since simulated
/// ranks may share a pack.
///
/// ```swift
/// let cache = BlockCache(rowFloats: 21)
/// let (rows, count) = try cache.block(2) { block, buffer in try read(block, buffer) }   // rows 256..<384
/// ```
final class BlockCache: @unchecked Sendable {
    static let blockRows = BlockWindowOrder.blockRows
    static let slots = 4 * BlockWindowOrder.windowBlocks

    let lock = NSLock()
    private let rowFloats: Int
    private let storage: UnsafeMutablePointer<Float>   // slots × blockRows × rowFloats, allocated once
    private var blockOfSlot = [Int](repeating: -1, count: BlockCache.slots)
    private var rowsOfSlot = [Int](repeating: 0, count: BlockCache.slots)
    private var next = 0

    init(rowFloats: Int) {
        self.rowFloats = rowFloats
        storage = .allocate(capacity: Self.slots * Self.blockRows * rowFloats)
        storage.initialize(repeating: 0, count: Self.slots * Self.blockRows * rowFloats)
    }

    deinit { storage.deallocate() }

    /// Block `block`'s rows (`rowFloats` floats each) and how many there are, read with
    /// `read(block, buffer)` (which returns the rows it read) when the block is not held. Valid until
    /// the next call.
    func block(_ block: Int, read: (_ block: Int, _ buffer: UnsafeMutableRawBufferPointer) throws -> Int) throws
        -> (rows: UnsafePointer<Float>, count: Int) {
        let floats = Self.blockRows * rowFloats
        if let slot = blockOfSlot.firstIndex(of: block) { return (UnsafePointer(storage + slot * floats), rowsOfSlot[slot]) }
        let slot = next
        next = (next + 1) % Self.slots
        blockOfSlot[slot] = -1   // until the read succeeds
        rowsOfSlot[slot] = try read(block, UnsafeMutableRawBufferPointer(start: storage + slot * floats, count: floats * 4))
        blockOfSlot[slot] = block
        return (UnsafePointer(storage + slot * floats), rowsOfSlot[slot])
    }
}
