// Lane helpers for the float kernels that run eight lanes at a time over rows of any length.
//
// Why not `lane .>= SIMD8(repeating: k)`: a comparison with a splat made by `init(repeating:)` of a
// run-time value compiles (Swift 6.3, x86-64) to a loop over the eight lanes with a store and a
// reload per lane — a third of the attention forward's own time —, while the same splat made by
// adding the scalar to a zero vector compiles to one broadcast and one vector compare.

/// The lanes of a chunk of eight at or after index `count` — all of them for `count` ≤ 0, none for
/// `count` ≥ 8: the lanes a row's last chunk holds past the row's end.
@_transparent
func lanes(from count: Int) -> SIMDMask<SIMD8<Int32>> {
    SIMD8<Float>(0, 1, 2, 3, 4, 5, 6, 7) .>= SIMD8<Float>() + Float(count)
}

/// The eight lanes of a row's sum added in one fixed order, pairwise: the grouping every eight-lane
/// sum of the softmax and layer-norm kernels ends with, so their bits depend on the row alone.
@_transparent
func laneSum(_ v: SIMD8<Float>) -> Float {
    ((v[0] + v[1]) + (v[2] + v[3])) + ((v[4] + v[5]) + (v[6] + v[7]))
}
