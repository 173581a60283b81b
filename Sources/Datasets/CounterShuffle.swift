import TensorCore

/// A sequence of 64-bit random words read off one `RandomKey`: draw `d` is
/// `(word(2d) << 32) | word(2d + 1)`. Shuffles need 64-bit words so that Lemire's bounded draw stays
/// unbiased (and almost never rejects) for any data-set size.
struct RandomWords {
    let key: RandomKey
    private var next: UInt64 = 0
    private var cached: (UInt32, UInt32, UInt32, UInt32) = (0, 0, 0, 0)

    init(key: RandomKey) { self.key = key }

    mutating func next64() -> UInt64 {
        // One Philox block holds two draws; compute it once for both.
        let d = next
        next += 1
        if d & 1 == 0 {
            cached = key.block(d >> 1)
            return UInt64(cached.0) << 32 | UInt64(cached.1)
        }
        return UInt64(cached.2) << 32 | UInt64(cached.3)
    }

    /// A uniform integer in `0..<bound`, without modulo bias: Lemire, "Fast random integer generation in
    /// an interval" (2019). The high word of `x · bound` is the draw; the rare `x` whose low word falls in
    /// the short leftover range are rejected and redrawn.
    mutating func bounded(_ bound: UInt64) -> UInt64 {
        precondition(bound > 0, "bounded draw needs a positive bound")
        var product = next64().multipliedFullWidth(by: bound)
        if product.low < bound {
            let threshold = (0 &- bound) % bound   // 2^64 mod bound
            while product.low < threshold {
                product = next64().multipliedFullWidth(by: bound)
            }
        }
        return product.high
    }
}

/// The Fisher–Yates permutation of `0..<count` driven by `key`: for `i` from `count − 1` down to 1,
/// swap position `i` with position `bounded(i + 1)`. A pure function of the key and `count`, so any
/// process can recompute it without having seen any other draw.
func counterBasedPermutation(count: Int, key: RandomKey) -> [Int] {
    precondition(count >= 0, "permutation of a negative count")
    var order = Array(0..<count)
    var words = RandomWords(key: key)
    var i = count - 1
    while i > 0 {
        let j = Int(words.bounded(UInt64(i + 1)))
        order.swapAt(i, j)
        i -= 1
    }
    return order
}
