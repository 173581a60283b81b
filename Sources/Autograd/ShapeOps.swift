import TensorCore

extension Tensor {
    /// The same elements in another shape (a view; no copy). One dimension may be -1 (inferred).
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
}
