extension Tensor {
    /// Per-element binary cross-entropy on logits, stable for any logit:
    /// `ℓ = max(x, 0) − x·y + log(1 + e^(−|x|))`, and its derivative `σ(x) − y`.
    public static func binaryCrossEntropyWithLogits(logits x: Tensor, targets y: Tensor) -> (loss: Tensor, gradient: Tensor) {
        precondition(x.count == y.count && x.dtype == y.dtype, "logits \(x.shape) and targets \(y.shape)")
        let loss = Tensor(uninitializedShape: x.shape, dtype: x.dtype)
        let grad = Tensor(uninitializedShape: x.shape, dtype: x.dtype)
        func run<T: TensorScalar>(_: T.Type) {
            let xp = x.pointer(as: T.self), yp = y.pointer(as: T.self)
            let lp = loss.pointer(as: T.self), gp = grad.pointer(as: T.self)
            for i in 0..<x.count {
                let v = xp[i], t = yp[i]
                lp[i] = Swift.max(v, 0) - v * t + T.log1p(T.exp(-Swift.abs(v)))
                gp[i] = sigmoidScalar(v) - t
            }
        }
        switch x.dtype {
        case .float32: run(Float.self)
        case .float64: run(Double.self)
        case .int64: preconditionFailure("loss of int64")
        }
        return (loss, grad)
    }

    /// Per-element binary cross-entropy on logits with a weight `p` on the positive term (PyTorch's
    /// `pos_weight`): `ℓ = (1 − y)·x + w·(log(1 + e^(−|x|)) + max(−x, 0))` with `w = 1 + (p − 1)·y`,
    /// and its derivative `(1 − y) − w·σ(−x)`.
    public static func binaryCrossEntropyWithLogits(logits x: Tensor, targets y: Tensor, positiveWeight: Double) -> (loss: Tensor, gradient: Tensor) {
        precondition(x.count == y.count && x.dtype == y.dtype, "logits \(x.shape) and targets \(y.shape)")
        let loss = Tensor(uninitializedShape: x.shape, dtype: x.dtype)
        let grad = Tensor(uninitializedShape: x.shape, dtype: x.dtype)
        func run<T: TensorScalar>(_: T.Type) {
            let xp = x.pointer(as: T.self), yp = y.pointer(as: T.self)
            let lp = loss.pointer(as: T.self), gp = grad.pointer(as: T.self)
            let p = T(positiveWeight)
            for i in 0..<x.count {
                let v = xp[i], t = yp[i]
                let w = 1 + (p - 1) * t
                lp[i] = (1 - t) * v + w * (T.log1p(T.exp(-Swift.abs(v))) + Swift.max(-v, 0))
                gp[i] = (1 - t) - w * sigmoidScalar(-v)
            }
        }
        switch x.dtype {
        case .float32: run(Float.self)
        case .float64: run(Double.self)
        case .int64: preconditionFailure("loss of int64")
        }
        return (loss, grad)
    }

    /// Per-row cross-entropy of (N, K) logits against class indices (N): `ℓᵢ = −log softmax(xᵢ)[yᵢ]`,
    /// and its derivative `softmax(xᵢ) − onehot(yᵢ)`. Nil when a target is not a class index.
    public static func crossEntropyWithLogits(logits x: Tensor, classes y: Tensor) -> (loss: Tensor, gradient: Tensor)? {
        precondition(x.rank == 2 && y.count == x.shape[0], "logits \(x.shape) and classes \(y.shape)")
        let n = x.shape[0], k = x.shape[1]
        let logp = x.logSoftmaxAlongLastAxis()
        let loss = Tensor(uninitializedShape: [n], dtype: x.dtype)
        let grad = Tensor(uninitializedShape: x.shape, dtype: x.dtype)
        var valid = true
        func run<T: TensorScalar>(_: T.Type) {
            let lp = logp.pointer(as: T.self), gp = grad.pointer(as: T.self), out = loss.pointer(as: T.self)
            for i in 0..<n {
                let target = y.element(i)
                guard target >= 0, target < Double(k), target == target.rounded() else { valid = false; return }
                let c = Int(target)
                out[i] = -lp[i * k + c]
                (gp + i * k).update(from: lp + i * k, count: k)
                expInPlace(gp + i * k, k)
                gp[i * k + c] -= 1
            }
        }
        switch x.dtype {
        case .float32: run(Float.self)
        case .float64: run(Double.self)
        case .int64: preconditionFailure("loss of int64")
        }
        return valid ? (loss, grad) : nil
    }
}
