import TensorCore

// Ops that move elements without arithmetic. Tensors are contiguous, so reshape and a slice of
// leading rows are views; transposes, permutations, other slices and concatenations copy. Each
// gradient is the same move backwards.

extension Tensor {
    /// The same elements in another shape (a view; no copy). One dimension may be -1 (inferred).
    /// The gradient is reshaped back.
    public func reshape(_ newShape: [Int]) throws -> Tensor {
        var target = newShape
        if let unknown = target.firstIndex(of: -1) {
            let known = target.enumerated().filter { $0.offset != unknown }.map(\.element).reduce(1, *)
            guard known > 0, count % known == 0 else {
                throw AutogradError.invalidArgument(op: "reshape", message: "cannot reshape \(shape) to \(newShape)")
            }
            target[unknown] = count / known
        }
        guard target.allSatisfy({ $0 >= 0 }), target.reduce(1, *) == count else {
            throw AutogradError.invalidArgument(op: "reshape", message: "cannot reshape \(shape) to \(newShape)")
        }
        let original = shape
        return try Tensor.record("reshape", inputs: [self], output: view(target)) { g in [g.view(original)] }
    }

    /// The transpose of a 2-D tensor; the gradient is transposed back.
    public func transpose() throws -> Tensor {
        guard rank == 2 else {
            throw AutogradError.invalidArgument(op: "transpose", message: "expects a 2-D tensor, got shape \(shape)")
        }
        return try Tensor.record("transpose", inputs: [self], output: transposed()) { g in [g.transposed()] }
    }

    /// Axes `a` and `b` swapped (`x.transpose(a, b)`; negative axes count from the end), materialised;
    /// the gradient is swapped back.
    ///
    /// ```swift
    /// let heads = try x.reshape([b, t, h, d]).transpose(1, 2)     // (B, H, T, D)
    /// ```
    public func transpose(_ a: Int, _ b: Int) throws -> Tensor {
        let a = try Tensor.axis(a, rank: rank, op: "transpose"), b = try Tensor.axis(b, rank: rank, op: "transpose")
        var axes = Array(0..<rank)
        axes.swapAt(a, b)
        return try permute(axes)
    }

    /// Axes reordered (`x.permute(axes)`): output axis i is input axis `axes[i]`, materialised.
    /// The gradient is permuted by the inverse permutation.
    public func permute(_ axes: [Int]) throws -> Tensor {
        guard axes.count == rank else {
            throw AutogradError.invalidArgument(op: "permute", message: "\(axes) does not list the \(rank) axes of shape \(shape)")
        }
        let normalised = try axes.map { try Tensor.axis($0, rank: rank, op: "permute") }
        guard Set(normalised).count == rank else {
            throw AutogradError.invalidArgument(op: "permute", message: "\(axes) is not a permutation of the axes of shape \(shape)")
        }
        var inverse = [Int](repeating: 0, count: rank)
        for (i, a) in normalised.enumerated() { inverse[a] = i }
        return try Tensor.record("permute", inputs: [self], output: permuted(normalised)) { g in [g.permuted(inverse)] }
    }

    /// Elements `range` along `axis` (`x.narrow(axis, start, length)`): a view when the slab is
    /// contiguous, else a copy. The gradient is zeros with `g` written back at `range`.
    public func slice(axis: Int, range: Range<Int>) throws -> Tensor {
        let axis = try Tensor.axis(axis, rank: rank, op: "slice")
        guard range.lowerBound >= 0, range.upperBound <= shape[axis] else {
            throw AutogradError.invalidArgument(op: "slice", message: "range \(range) out of bounds for axis \(axis) of shape \(shape)")
        }
        let original = shape
        return try Tensor.record("slice", inputs: [self], output: sliced(axis: axis, range: range)) { g in
            [g.padded(to: original, axis: axis, at: range.lowerBound)]
        }
    }

    /// `parts` joined along `axis` (`torch.cat`); all other axes and the dtype must agree. The
    /// gradient of each part is its slice of `g`.
    ///
    /// ```swift
    /// let features = try Tensor.concatenate([numeric, embedded], axis: 1)   // (N, F + D)
    /// ```
    public static func concatenate(_ parts: [Tensor], axis: Int) throws -> Tensor {
        guard let first = parts.first else {
            throw AutogradError.invalidArgument(op: "cat", message: "needs at least one tensor")
        }
        let axis = try Tensor.axis(axis, rank: first.rank, op: "cat")
        for p in parts.dropFirst() {
            guard p.dtype == first.dtype else {
                throw AutogradError.dtypeMismatch(op: "cat", lhs: first.dtype.rawValue, rhs: p.dtype.rawValue)
            }
            guard p.rank == first.rank, (0..<first.rank).allSatisfy({ $0 == axis || p.shape[$0] == first.shape[$0] }) else {
                throw AutogradError.shapeMismatch(op: "cat", lhs: first.shape, rhs: p.shape)
            }
        }
        var ranges: [Range<Int>] = []
        for p in parts { ranges.append((ranges.last?.upperBound ?? 0) ..< (ranges.last?.upperBound ?? 0) + p.shape[axis]) }
        let needs = parts.map(\.requiresGrad)
        return try record("cat", inputs: parts, output: concatenated(parts, axis: axis)) { g in
            ranges.indices.map { i in needs[i] ? g.sliced(axis: axis, range: ranges[i]) : nil }
        }
    }

    /// `axis` in `0..<rank`, or counted from the end when negative (-1 is the last axis).
    static func axis(_ axis: Int, rank: Int, op: String) throws -> Int {
        let resolved = axis < 0 ? axis + rank : axis
        guard resolved >= 0, resolved < rank else {
            throw AutogradError.invalidArgument(op: op, message: "axis \(axis) out of range for a \(rank)-D tensor")
        }
        return resolved
    }
}
