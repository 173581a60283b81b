extension Tensor {
    /// A tensor of uniform draws in [low, high), element i from `key.uniformDouble(at: i)`.
    /// The same key gives the same tensor, whatever the process or thread.
    public static func uniform(_ shape: [Int], low: Double, high: Double, key: RandomKey, dtype: DType = .float32) -> Tensor {
        let t = Tensor(uninitializedShape: shape, dtype: dtype)
        for i in 0..<t.count { t.setElement(i, low + (high - low) * key.uniformDouble(at: UInt64(i))) }
        return t
    }

    /// A tensor of normal draws with the given mean and standard deviation.
    public static func normal(_ shape: [Int], mean: Double = 0, std: Double = 1, key: RandomKey, dtype: DType = .float32) -> Tensor {
        let t = Tensor(uninitializedShape: shape, dtype: dtype)
        for i in 0..<t.count { t.setElement(i, mean + std * key.normal(at: UInt64(i))) }
        return t
    }
}

extension RandomKey {
    /// Writes a scaled Bernoulli keep-mask: `out[i] = scale` if `uniformFloat(at: first + i) ≥ p`, else 0.
    /// Each Philox block yields four draws, so `first` must be a multiple of 4.
    @inlinable
    public func fillKeepMask(_ out: UnsafeMutablePointer<Float>, count: Int, first: UInt64, dropProbability p: Float, scale: Float) {
        precondition(first & 3 == 0, "mask sequences start on a block boundary")
        var i = 0
        var blockIndex = first >> 2
        @inline(__always) func value(_ word: UInt32) -> Float {
            Float(word >> 8) * 0x1p-24 >= p ? scale : 0
        }
        // 32 draws (eight blocks) per pass through the vectorised Philox, then block by block.
        let lanes = SIMD8<UInt32>(0, 1, 2, 3, 4, 5, 6, 7)
        while i + 32 <= count {
            let words = philox.blocks(counter0: SIMD8<UInt32>(repeating: UInt32(truncatingIfNeeded: blockIndex)) &+ lanes,
                                      a, b, stream.rawValue)
            // The same rule as `value`, eight lanes at a time (word >> 8 is exact in Float).
            let kept = SIMD8<Float>(repeating: scale), dropped = SIMD8<Float>(repeating: 0)
            @inline(__always) func values(_ w: SIMD8<UInt32>) -> SIMD8<Float> {
                dropped.replacing(with: kept, where: SIMD8<Float>(w &>> 8) * 0x1p-24 .>= p)
            }
            let v0 = values(words.0), v1 = values(words.1), v2 = values(words.2), v3 = values(words.3)
            for j in 0..<8 {
                out[i + 4 * j] = v0[j]; out[i + 4 * j + 1] = v1[j]; out[i + 4 * j + 2] = v2[j]; out[i + 4 * j + 3] = v3[j]
            }
            i += 32
            blockIndex += 8
        }
        while i + 4 <= count {
            let w = block(blockIndex)
            out[i] = value(w.0); out[i + 1] = value(w.1); out[i + 2] = value(w.2); out[i + 3] = value(w.3)
            i += 4
            blockIndex += 1
        }
        if i < count {
            let w = block(blockIndex)
            let words = [w.0, w.1, w.2, w.3]
            for k in 0..<(count - i) { out[i + k] = value(words[k]) }
        }
    }
}
