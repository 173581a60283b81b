import TensorCore

/// A keyed bijection of `0..<count`, computed one index at a time in O(1) memory: where a Fisher–Yates
/// shuffle holds the whole order (8 bytes a sample on every rank), this answers "which sample is at
/// position p" and "where does sample i go" on demand, for data sets of any size.
///
/// A balanced Feistel network on the smallest even number of bits that covers `count` (at most four
/// times `count` values), four rounds, each mixing one half with a 64-bit round key drawn from the
/// `RandomKey` (SplitMix64's finaliser, a few nanoseconds); values the network sends past `count` are
/// sent through it again until they land inside (cycle walking), which keeps it a bijection of
/// `0..<count`. A pure function of the key and `count`, like every random draw here.
///
/// ```swift
/// let order = KeyedPermutation(count: 2_000_000, key: RandomKey(seed: 7, stream: .shuffle, a: epoch))
/// let sample = order.index(at: p)          // the sample visited p-th
/// assert(order.position(of: sample) == p)
/// ```
public struct KeyedPermutation: Sendable, Hashable {
    public let count: Int
    private let halfBits: UInt64
    private let roundKeys: SIMD4<UInt64>   // inline: making one allocates nothing

    public init(count: Int, key: RandomKey) {
        precondition(count >= 0, "a permutation of a negative count")
        self.count = count
        var bits: UInt64 = 2
        while bits < 62, (1 << bits) < count { bits += 2 }
        halfBits = bits / 2
        let (a, b) = (key.block(0), key.block(1))
        roundKeys = SIMD4(UInt64(a.0) << 32 | UInt64(a.1), UInt64(a.2) << 32 | UInt64(a.3),
                          UInt64(b.0) << 32 | UInt64(b.1), UInt64(b.2) << 32 | UInt64(b.3))
    }

    /// The position index `index` takes.
    public func position(of index: Int) -> Int {
        precondition(index >= 0 && index < count, "index \(index) outside 0..<\(count)")
        var x = UInt64(index)
        repeat { x = encrypt(x) } while x >= UInt64(count)
        return Int(x)
    }

    /// The index at `position` (the inverse of `position(of:)`).
    public func index(at position: Int) -> Int {
        precondition(position >= 0 && position < count, "position \(position) outside 0..<\(count)")
        var x = UInt64(position)
        repeat { x = decrypt(x) } while x >= UInt64(count)
        return Int(x)
    }

    private var mask: UInt64 { (1 << halfBits) - 1 }

    private func round(_ r: Int, _ half: UInt64) -> UInt64 {
        var z = half ^ roundKeys[r]
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return (z ^ (z >> 31)) & mask
    }

    private func encrypt(_ x: UInt64) -> UInt64 {
        var (left, right) = (x >> halfBits, x & mask)
        for r in 0..<4 { (left, right) = (right, left ^ round(r, right)) }
        return left << halfBits | right
    }

    private func decrypt(_ x: UInt64) -> UInt64 {
        var (left, right) = (x >> halfBits, x & mask)
        for r in (0..<4).reversed() { (left, right) = (right ^ round(r, left), left) }
        return left << halfBits | right
    }
}
