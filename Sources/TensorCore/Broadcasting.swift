/// NumPy broadcasting of two shapes: dimensions are aligned from the right and must be equal or 1.
/// Returns nil when the shapes do not broadcast.
public func broadcastShape(_ a: [Int], _ b: [Int]) -> [Int]? {
    let rank = max(a.count, b.count)
    var out = [Int](repeating: 1, count: rank)
    for i in 0..<rank {
        let da = i < rank - a.count ? 1 : a[i - (rank - a.count)]
        let db = i < rank - b.count ? 1 : b[i - (rank - b.count)]
        guard da == db || da == 1 || db == 1 else { return nil }
        out[i] = da == 1 ? db : da
    }
    return out
}

/// Row-major element strides of `shape` as seen from a broadcast result of rank `rank`:
/// broadcast (size-1 or missing) dimensions get stride 0.
@usableFromInline
func broadcastStrides(_ shape: [Int], toRank rank: Int, outShape: [Int]) -> [Int] {
    var strides = [Int](repeating: 0, count: rank)
    var step = 1
    for i in stride(from: shape.count - 1, through: 0, by: -1) {
        let o = i + rank - shape.count
        strides[o] = (shape[i] == 1 && outShape[o] != 1) ? 0 : step
        step *= shape[i]
    }
    return strides
}

/// How two operands line up under broadcasting, picked once per call so that the inner loops stay
/// simple: most calls in a network are same-shape, scalar or bias-row (`(N, C) + (C)`).
@usableFromInline
enum BroadcastPattern {
    case sameShape
    case scalarRight
    case scalarLeft
    /// The right operand repeats along the leading dimensions: `inner` = its element count.
    case rowRight(inner: Int)
    case rowLeft(inner: Int)
    case general(outShape: [Int], stridesA: [Int], stridesB: [Int])

    @usableFromInline
    init(_ a: [Int], _ b: [Int], out: [Int]) {
        let ca = a.reduce(1, *), cb = b.reduce(1, *), co = out.reduce(1, *)
        if a == b { self = .sameShape; return }
        if cb == 1 && ca == co { self = .scalarRight; return }
        if ca == 1 && cb == co { self = .scalarLeft; return }
        func isTrailing(_ small: [Int], of big: [Int]) -> Bool {
            let stripped = Array(small.drop(while: { $0 == 1 }))
            return stripped.count <= big.count && Array(big.suffix(stripped.count)) == stripped
        }
        if ca == co && isTrailing(b, of: a) { self = .rowRight(inner: cb); return }
        if cb == co && isTrailing(a, of: b) { self = .rowLeft(inner: ca); return }
        self = .general(outShape: out,
                        stridesA: broadcastStrides(a, toRank: out.count, outShape: out),
                        stridesB: broadcastStrides(b, toRank: out.count, outShape: out))
    }
}
