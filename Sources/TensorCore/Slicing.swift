// Slices along an axis and concatenation: both are copies of slabs, one per index of the axes before
// `axis`, of `length · inner` contiguous elements (inner = the product of the axes after it).

/// Copies, for each of `outer` outer indices, `length` rows of `inner` elements from position `from`
/// of an axis of `sourceLength` in `source` to position `to` of an axis of `targetLength` in `target`.
func copySlabs(_ source: Tensor, axisLength sourceLength: Int, from: Int, into target: Tensor, axisLength targetLength: Int,
               to: Int, length: Int, outer: Int, inner: Int) {
    let width = source.dtype.byteWidth, bytes = length * inner * width
    guard bytes > 0 else { return }
    for o in 0..<outer {
        (target.rawPointer + ((o * targetLength + to) * inner) * width)
            .copyMemory(from: source.rawPointer + ((o * sourceLength + from) * inner) * width, byteCount: bytes)
    }
}

extension Tensor {
    /// Elements `range` along `axis`, as `x.narrow(axis, range.lowerBound, range.count)`: a view
    /// when the slab is contiguous (every axis before `axis` has size 1, e.g. rows of a matrix),
    /// otherwise a copy.
    ///
    /// ```swift
    /// let x = Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3])
    /// x.sliced(axis: 1, range: 1..<3).floatArray       // [2, 3, 5, 6]
    /// ```
    public func sliced(axis: Int, range: Range<Int>) -> Tensor {
        precondition(axis >= 0 && axis < rank && range.lowerBound >= 0 && range.upperBound <= shape[axis],
                     "slice \(range) of axis \(axis) of \(shape)")
        var outShape = shape
        outShape[axis] = range.count
        let outer = shape[..<axis].reduce(1, *), inner = shape[(axis + 1)...].reduce(1, *)
        if outer == 1 {
            return Tensor(storage: storage, offset: offset + range.lowerBound * inner, shape: outShape, dtype: dtype)
        }
        let out = Tensor(uninitializedShape: outShape, dtype: dtype)
        copySlabs(self, axisLength: shape[axis], from: range.lowerBound, into: out, axisLength: range.count,
                  to: 0, length: range.count, outer: outer, inner: inner)
        return out
    }

    /// Zeros of `shape` with this tensor written at `range` along `axis`: the adjoint of `sliced`.
    public func padded(to shape: [Int], axis: Int, at start: Int) -> Tensor {
        precondition(shape.count == rank && axis >= 0 && axis < rank && start >= 0 && start + self.shape[axis] <= shape[axis]
                     && (0..<rank).allSatisfy { $0 == axis || shape[$0] == self.shape[$0] }, "pad \(self.shape) into \(shape)")
        let out = Tensor.zeros(shape, dtype: dtype)
        let outer = shape[..<axis].reduce(1, *), inner = shape[(axis + 1)...].reduce(1, *)
        copySlabs(self, axisLength: self.shape[axis], from: 0, into: out, axisLength: shape[axis],
                  to: start, length: self.shape[axis], outer: outer, inner: inner)
        return out
    }

    /// `parts` joined along `axis` (`torch.cat`); they agree on every other axis and on dtype.
    ///
    /// ```swift
    /// let a = Tensor([1, 2], shape: [2, 1]), b = Tensor([3, 4, 5, 6], shape: [2, 2])
    /// Tensor.concatenated([a, b], axis: 1).floatArray  // [1, 3, 4, 2, 5, 6]
    /// ```
    public static func concatenated(_ parts: [Tensor], axis: Int) -> Tensor {
        precondition(!parts.isEmpty, "concatenation of no tensors")
        let first = parts[0]
        precondition(axis >= 0 && axis < first.rank, "axis \(axis) of \(first.shape)")
        var outShape = first.shape
        outShape[axis] = parts.reduce(0) { $0 + $1.shape[axis] }
        for p in parts {
            precondition(p.dtype == first.dtype && p.rank == first.rank
                         && (0..<first.rank).allSatisfy { $0 == axis || p.shape[$0] == first.shape[$0] },
                         "concatenation of \(parts.map(\.shape)) along axis \(axis)")
        }
        let out = Tensor(uninitializedShape: outShape, dtype: first.dtype)
        let outer = outShape[..<axis].reduce(1, *), inner = outShape[(axis + 1)...].reduce(1, *)
        var at = 0
        for p in parts {
            copySlabs(p, axisLength: p.shape[axis], from: 0, into: out, axisLength: outShape[axis],
                      to: at, length: p.shape[axis], outer: outer, inner: inner)
            at += p.shape[axis]
        }
        return out
    }
}
