extension Tensor {
    /// Rows `indices` of a (V, D) table, as a tensor of `shape` + [D] (`weight[ids]`).
    public static func gatherRows(_ table: Tensor, indices: [Int], shape: [Int]) -> Tensor {
        precondition(table.rank == 2 && indices.count == shape.reduce(1, *), "gather of \(indices.count) rows into \(shape)")
        let d = table.shape[1], rowBytes = d * table.dtype.byteWidth
        let out = Tensor(uninitializedShape: shape + [d], dtype: table.dtype)
        let source = table.rawPointer, target = out.rawPointer
        for (p, row) in indices.enumerated() {
            (target + p * rowBytes).copyMemory(from: source + row * rowBytes, byteCount: rowBytes)
        }
        return out
    }

    /// `table[indices[p]] += rows[p]` for p = 0, 1, … in that order: the adjoint of `gatherRows`.
    /// A row that several positions pick gets their gradients added one after another, in position
    /// order, so the result depends on `indices` and `rows` alone. `rows` holds one row of the
    /// table's width per index.
    public static func scatterAddRows(_ rows: Tensor, indices: [Int], into table: Tensor) {
        let d = table.shape[1]
        precondition(rows.dtype == table.dtype && rows.count == indices.count * d, "scatter of \(rows.shape) into \(table.shape)")
        func run<T: TensorScalar>(_: T.Type) {
            let source = rows.pointer(as: T.self), target = table.pointer(as: T.self)
            for (p, row) in indices.enumerated() {
                let s = source + p * d, t = target + row * d
                for j in 0..<d { t[j] += s[j] }
            }
        }
        switch table.dtype {
        case .float32: run(Float.self)
        case .float64: run(Double.self)
        case .int64: preconditionFailure("embedding gradient of int64")
        }
    }
}
