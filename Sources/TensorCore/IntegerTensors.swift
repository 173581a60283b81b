/// Integer tensors are int64, as PyTorch's `torch.long`: token ids, embedding rows, class indices.
///
/// ```swift
/// let ids = Tensor(int64: [3, 0, 2, 2], shape: [2, 2])   // (B, T) token ids
/// let positions = Tensor.arange(4)                       // int64 [0, 1, 2, 3]
/// ```
extension Tensor {
    /// An int64 tensor from values in row-major order.
    public convenience init(int64 values: [Int64], shape: [Int]) {
        precondition(values.count == shape.reduce(1, *), "\(values.count) values do not fill shape \(shape)")
        self.init(uninitializedShape: shape, dtype: .int64)
        values.withUnsafeBufferPointer { int64s.update(from: $0.baseAddress!, count: values.count) }
    }

    /// `[0, 1, …, count − 1]` as an int64 tensor (`torch.arange(count)`): the positions of a sequence.
    public static func arange(_ count: Int) -> Tensor {
        let t = Tensor(uninitializedShape: [count], dtype: .int64)
        let p = t.int64s
        for i in 0..<count { p[i] = Int64(i) }
        return t
    }

    /// The elements of an int64 tensor.
    @inlinable public var int64s: UnsafeMutablePointer<Int64> {
        precondition(dtype == .int64, "int64 access to a \(dtype) tensor")
        return rawPointer.assumingMemoryBound(to: Int64.self)
    }

    /// The elements as row indices into a table of `rows`: int64 values, or floats holding whole
    /// numbers (the class indices of a float feature matrix). Nil when one is not a whole number in
    /// `0..<rows`.
    public func rowIndices(below rows: Int) -> [Int]? {
        var out = [Int](repeating: 0, count: count)
        var valid = true
        out.withUnsafeMutableBufferPointer { out in
            func take<S: BinaryFloatingPoint>(_ p: UnsafeMutablePointer<S>) {
                for i in 0..<count {
                    let v = p[i]
                    guard v >= 0, v < S(rows), v == v.rounded(.towardZero) else { valid = false; return }
                    out[i] = Int(v)
                }
            }
            switch dtype {
            case .int64:
                let p = int64s
                for i in 0..<count {
                    guard p[i] >= 0, p[i] < Int64(rows) else { valid = false; return }
                    out[i] = Int(p[i])
                }
            case .float32: take(floats)
            case .float64: take(doubles)
            }
        }
        return valid ? out : nil
    }
}
