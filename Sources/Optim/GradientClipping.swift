import TensorCore

/// Scales all gradients together so that their total L2 norm is at most `maxNorm`, and returns the
/// total norm from before clipping: `torch.nn.utils.clip_grad_norm_` with `norm_type=2`.
///
/// `total = sqrt(Σ g²)` over every element of every non-nil `.grad`; each gradient is multiplied by
/// `min(maxNorm / (total + 1e-6), 1)`. Parameters without a gradient are skipped.
///
/// The sum has one fixed grouping (`GradientNorm`): the gradients, end to end, cut into blocks of
/// `GradientNorm.blockSize` elements, each block summed in Double, the block sums added in order. It
/// depends on nothing but the gradients, and a rank holding a block-aligned shard computes its
/// blocks' sums alone, so optimizer-state sharding gives the same bits. PyTorch instead takes the norm
/// of the per-tensor norms in the gradient's dtype; the two agree to rounding (float64 ~1e-16,
/// float32 ~1e-7 relative). In data-parallel training, clip after the allreduce: every replica then
/// sees the same gradients and computes the same norm.
///
/// A NaN or infinite gradient makes the returned norm non-finite and, as in PyTorch with
/// `error_if_nonfinite=False`, the gradients are still scaled by the (meaningless) coefficient;
/// check `isFinite` on the result to skip such a step.
///
/// ```swift
/// try loss.backward()
/// let norm = clipGradNorm(model.namedParameters(), maxNorm: 1.0)
/// if norm.isFinite { try optimizer.step() }
/// ```
@discardableResult
public func clipGradNorm(_ parameters: [Tensor], maxNorm: Double) -> Double {
    var sums = GradientNorm.BlockSums()
    for p in parameters {
        if let grad = p.grad { sums.add(grad) } else { sums.skip(p.count) }
    }
    let total = sums.total.squareRoot()
    let coefficient = GradientNorm.clipCoefficient(total: total, maxNorm: maxNorm)
    // Multiplying by exactly 1 changes no bit, so the common unclipped case skips the pass.
    if coefficient == 1 { return total }
    for grad in parameters.compactMap(\.grad) { GradientNorm.scale(grad, 0..<grad.count, by: coefficient) }
    return total
}

/// `clipGradNorm` over named parameters, e.g. `model.namedParameters()` or `optimizer.parameters`.
@discardableResult
public func clipGradNorm(_ parameters: [(name: String, tensor: Tensor)], maxNorm: Double) -> Double {
    clipGradNorm(parameters.map(\.tensor), maxNorm: maxNorm)
}

/// `clipGradNorm` over a flat gradient buffer (every parameter's gradient bound into it): the same
/// sum, so the same bits as the per-tensor form, and one scaling pass over the whole buffer.
///
/// ```swift
/// let norm = clipGradNorm(flatGradients: flat.gradients, maxNorm: 1)
/// ```
@discardableResult
public func clipGradNorm(flatGradients gradients: Tensor, maxNorm: Double) -> Double {
    let total = GradientNorm.total(GradientNorm.blockSquaredSums(gradients, elements: 0..<gradients.count)).squareRoot()
    let coefficient = GradientNorm.clipCoefficient(total: total, maxNorm: maxNorm)
    if coefficient == 1 { return total }
    GradientNorm.scale(gradients, 0..<gradients.count, by: coefficient)
    return total
}

/// The squared L2 norm of a flat gradient buffer in the one grouping `clipGradNorm` uses, in pieces
/// that ranks can compute apart: blocks of `blockSize` elements from the buffer's start, each summed
/// in Double over 8 interleaved lanes (element i of a block into lane i mod 8, the lanes then added
/// pairwise), and the block sums added in order from zero. A rank whose shard starts and ends on
/// block boundaries computes its blocks' sums; gathered in block order, they give every rank the
/// total of the whole buffer, bit for bit.
///
/// ```swift
/// let mine = GradientNorm.blockSquaredSums(flat.gradients, elements: 0..<4096)   // 4 blocks
/// let total = GradientNorm.total(mine)
/// ```
public enum GradientNorm {
    public static let blockSize = 1024

    /// The sums of squares of the blocks covering `elements` (which must start on a block boundary,
    /// and end on one or at the buffer's end; empty: none).
    public static func blockSquaredSums(_ t: Tensor, elements: Range<Int>) -> [Double] {
        precondition(elements.isEmpty || elements.lowerBound % blockSize == 0 && (elements.upperBound % blockSize == 0 || elements.upperBound == t.count),
                     "GradientNorm: \(elements) is not block-aligned")
        var sums = BlockSums()
        sums.add(t, elements)
        return sums.finished + (sums.open.map { [$0] } ?? [])
    }

    /// The block sums added in order, from zero.
    public static func total(_ blockSums: [Double]) -> Double {
        var total = 0.0
        for b in blockSums { total += b }
        return total
    }

    /// `maxNorm / (total + 1e-6)` clamped to at most 1. torch.clamp(max=1) keeps a NaN coefficient;
    /// spelled out so as not to rely on `min`'s NaN rule.
    public static func clipCoefficient(total: Double, maxNorm: Double) -> Double {
        let raw = maxNorm / (total + 1e-6)
        return raw.isNaN || raw < 1 ? raw : 1
    }

    /// x ← x·scale over elements `range`, the scale rounded once to the element type (as PyTorch's
    /// `mul_` by a tensor of the gradient's dtype).
    public static func scale(_ t: Tensor, _ range: Range<Int>, by scale: Double) {
        func run<T: TensorScalar>(_ p: UnsafeMutablePointer<T>) {
            let s = T(scale)
            for i in range { p[i] = p[i] * s }
        }
        switch t.dtype {
        case .float32: run(t.pointer(as: Float.self))
        case .float64: run(t.pointer(as: Double.self))
        case .int64: preconditionFailure("clipGradNorm: int64 gradient")
        }
    }

    /// Walks gradients end to end (several tensors or one buffer), keeping the block being filled.
    struct BlockSums {
        var finished: [Double] = []
        /// Lanes of the block being filled, and how many of its elements have been seen.
        var lanes = [Double](repeating: 0, count: 8)
        var filled = 0
        var open: Double? { filled == 0 ? nil : laneTotal }

        var total: Double { GradientNorm.total(finished + (open.map { [$0] } ?? [])) }

        private var laneTotal: Double {
            ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3])) + ((lanes[4] + lanes[5]) + (lanes[6] + lanes[7]))
        }

        /// Elements of a parameter without a gradient: zeros, which change no sum.
        mutating func skip(_ count: Int) {
            var left = count
            while left > 0 {
                let n = min(left, blockSize - filled)
                filled += n
                left -= n
                if filled == blockSize { close() }
            }
        }

        mutating func add(_ t: Tensor, _ range: Range<Int>? = nil) {
            let range = range ?? 0..<t.count
            switch t.dtype {
            case .float32: add(t.pointer(as: Float.self), range)
            case .float64: add(t.pointer(as: Double.self), range)
            case .int64: preconditionFailure("clipGradNorm: int64 gradient")
            }
        }

        private mutating func add<T: TensorScalar>(_ p: UnsafeMutablePointer<T>, _ range: Range<Int>) {
            var i = range.lowerBound
            while i < range.upperBound {
                let n = min(range.upperBound - i, blockSize - filled)
                if filled == 0, n == blockSize {
                    finished.append(Self.fullBlock(p + i))        // the common case, vectorised
                } else {
                    for k in 0..<n {
                        let x = Double(p[i + k])
                        lanes[(filled + k) & 7] += x * x
                    }
                    filled += n
                    if filled == blockSize { close() }
                }
                i += n
            }
        }

        private mutating func close() {
            finished.append(laneTotal)
            for k in 0..<8 { lanes[k] = 0 }
            filled = 0
        }

        /// One whole block: the same lanes and the same final additions as the element-wise path
        /// (`TensorNorms.squaredSum`, the one 8-lane sum, which LARS and LAMB's norms use too).
        private static func fullBlock<T: TensorScalar>(_ p: UnsafeMutablePointer<T>) -> Double {
            TensorNorms.squaredSum(count: blockSize) { p[$0] }
        }
    }
}
