extension Tensor {
    /// The tensor with its axes reordered, materialised: output axis `i` is input axis `axes[i]`
    /// (`torch.permute(x, axes).contiguous()`). `axes` must be a permutation of `0..<rank`.
    ///
    /// Trailing axes that stay in place are copied as contiguous runs (one `memcpy` per run): the
    /// head split of attention, (B, T, H, D) → (B, H, T, D), copies rows of D elements.
    ///
    /// ```swift
    /// let x = Tensor([1, 2, 3, 4, 5, 6], shape: [1, 2, 3])
    /// x.permuted([2, 0, 1]).shape                         // [3, 1, 2]
    /// ```
    public func permuted(_ axes: [Int]) -> Tensor {
        precondition(axes.count == rank && axes.sorted() == Array(0..<rank), "permutation \(axes) of a \(rank)-D tensor")
        let outShape = axes.map { shape[$0] }
        let out = Tensor(uninitializedShape: outShape, dtype: dtype)
        guard count > 0 else { return out }
        var inputStrides = [Int](repeating: 1, count: rank)
        for d in stride(from: rank - 2, through: 0, by: -1) { inputStrides[d] = inputStrides[d + 1] * shape[d + 1] }
        // The trailing output axes that are the input's trailing axes in order form one contiguous run.
        var kept = rank
        while kept > 0 && axes[kept - 1] == kept - 1 { kept -= 1 }
        let run = shape[kept...].reduce(1, *)
        let width = dtype.byteWidth
        let source = rawPointer, target = out.rawPointer
        if kept == 0 {
            target.copyMemory(from: source, byteCount: byteCount)
            return out
        }
        // Odometer over output axes 0..<outer (their input strides), the last of them innermost.
        let outer = run > 1 ? kept : rank - 1
        let strides = (0..<rank).map { inputStrides[axes[$0]] }
        var index = [Int](repeating: 0, count: outer)
        let inner = run > 1 ? 1 : outShape[rank - 1], innerStride = strides[rank - 1]
        let chunks = outShape[..<outer].reduce(1, *)
        var from = 0, to = 0
        for _ in 0..<chunks {
            if run > 1 {
                (target + to * width).copyMemory(from: source + from * width, byteCount: run * width)
                to += run
            } else if width == 4 {
                let s = source.assumingMemoryBound(to: UInt32.self) + from, t = target.assumingMemoryBound(to: UInt32.self) + to
                for j in 0..<inner { t[j] = s[j * innerStride] }
                to += inner
            } else {
                let s = source.assumingMemoryBound(to: UInt64.self) + from, t = target.assumingMemoryBound(to: UInt64.self) + to
                for j in 0..<inner { t[j] = s[j * innerStride] }
                to += inner
            }
            var d = outer - 1
            while d >= 0 {
                index[d] += 1
                from += strides[d]
                if index[d] < outShape[d] { break }
                from -= strides[d] * outShape[d]
                index[d] = 0
                d -= 1
            }
        }
        return out
    }
}
