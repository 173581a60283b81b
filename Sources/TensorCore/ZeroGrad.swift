/// Clears the gradients of `tensors`: to nil (the default, as PyTorch's `set_to_none=True`), or to
/// zeros in place. This is the one implementation behind `Module.zeroGrad` and `Optimizer.zeroGrad`.
///
/// A gradient set to nil is recreated by the next backward in the leaf's gradient slot (a view of a
/// flat gradient buffer) when it has one, so clearing to nil never detaches a flat buffer.
///
/// ```swift
/// try loss.backward()
/// zeroGrad([w, b])                    // w.grad == nil
/// zeroGrad([w, b], setToNil: false)   // existing gradients become zeros
/// ```
public func zeroGrad(_ tensors: [Tensor], setToNil: Bool = true) {
    for t in tensors {
        if setToNil { t.grad = nil } else { t.grad?.fill(0) }
    }
}
