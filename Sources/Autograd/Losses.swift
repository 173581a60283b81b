import TensorCore

/// How a loss combines its per-sample terms.
public enum Reduction: String, Sendable, CaseIterable {
    /// Per-element losses, unreduced.
    case none
    /// Sum of the per-element losses: what the determinism contract accumulates (rule 3).
    case sum
    /// Mean of the per-element losses (PyTorch's default).
    case mean
}

/// Losses as single ops: each forward kernel computes the per-element loss and its derivative in one
/// pass, so that the backward is a scale of the saved derivative.
public enum Loss {
    /// Binary cross-entropy on logits, `ℓ = max(x,0) − x·y + log(1 + e^(−|x|))`, stable for any logit;
    /// ∂ℓ/∂x = σ(x) − y. `targets` has the logits' element count ((N) or (N, 1)).
    public static func binaryCrossEntropyWithLogits(_ logits: Tensor, _ targets: Tensor, reduction: Reduction = .mean) throws -> Tensor {
        guard logits.count == targets.count else {
            throw AutogradError.shapeMismatch(op: "bce_with_logits", lhs: logits.shape, rhs: targets.shape)
        }
        guard logits.dtype == targets.dtype else {
            throw AutogradError.dtypeMismatch(op: "bce_with_logits", lhs: logits.dtype.rawValue, rhs: targets.dtype.rawValue)
        }
        let (loss, derivative) = Tensor.binaryCrossEntropyWithLogits(logits: logits, targets: targets.view(logits.shape))
        return try reduce(loss, derivative, reduction, op: "bce_with_logits", input: logits)
    }

    /// Binary cross-entropy on logits with the positive term weighted by `positiveWeight` (PyTorch's
    /// `BCEWithLogitsLoss(pos_weight=p)`): `ℓ = (1 − y)·x + (1 + (p − 1)·y)·(log(1 + e^(−|x|)) + max(−x, 0))`;
    /// ∂ℓ/∂x = (1 − y) − (1 + (p − 1)·y)·σ(−x), which is σ(x) − y at p = 1. Use p = negatives/positives
    /// to balance rare positives.
    ///
    /// ```swift
    /// let loss = try Loss.binaryCrossEntropyWithLogits(logits, targets, positiveWeight: 9, reduction: .sum)
    /// ```
    public static func binaryCrossEntropyWithLogits(_ logits: Tensor, _ targets: Tensor, positiveWeight: Double,
                                                    reduction: Reduction = .mean) throws -> Tensor {
        guard logits.count == targets.count else {
            throw AutogradError.shapeMismatch(op: "bce_with_logits", lhs: logits.shape, rhs: targets.shape)
        }
        guard logits.dtype == targets.dtype else {
            throw AutogradError.dtypeMismatch(op: "bce_with_logits", lhs: logits.dtype.rawValue, rhs: targets.dtype.rawValue)
        }
        guard positiveWeight.isFinite, positiveWeight > 0 else {
            throw AutogradError.invalidArgument(op: "bce_with_logits", message: "pos_weight must be positive and finite, got \(positiveWeight)")
        }
        let (loss, derivative) = Tensor.binaryCrossEntropyWithLogits(logits: logits, targets: targets.view(logits.shape),
                                                                     positiveWeight: positiveWeight)
        return try reduce(loss, derivative, reduction, op: "bce_with_logits", input: logits)
    }

    /// Cross-entropy of (N, K) logits against class indices (N) held as floats:
    /// `ℓᵢ = −log softmax(xᵢ)[yᵢ]`, computed through a stable log-softmax; ∂ℓᵢ/∂xᵢ = softmax(xᵢ) − onehot(yᵢ).
    public static func crossEntropy(_ logits: Tensor, _ classes: Tensor, reduction: Reduction = .mean) throws -> Tensor {
        guard logits.rank == 2, classes.count == logits.shape[0] else {
            throw AutogradError.shapeMismatch(op: "cross_entropy", lhs: logits.shape, rhs: classes.shape)
        }
        guard let (loss, derivative) = Tensor.crossEntropyWithLogits(logits: logits, classes: classes) else {
            throw AutogradError.invalidArgument(op: "cross_entropy", message: "targets must be class indices in 0..<\(logits.shape[1])")
        }
        return try reduce(loss, derivative, reduction, op: "cross_entropy", input: logits)
    }

    /// Squared error `(x − y)²`; ∂/∂x = 2(x − y). `targets` has the predictions' element count.
    public static func meanSquaredError(_ predictions: Tensor, _ targets: Tensor, reduction: Reduction = .mean) throws -> Tensor {
        guard predictions.count == targets.count else {
            throw AutogradError.shapeMismatch(op: "mse", lhs: predictions.shape, rhs: targets.shape)
        }
        let diff = predictions.zip(targets.view(predictions.shape), .subtract)!
        return try reduce(diff.map(.square), diff.map(.affine(scale: 2, shift: 0)), reduction, op: "mse", input: predictions)
    }

    /// Applies the reduction to per-element losses and records the backward, `g · ∂ℓ/∂x` (over N for mean).
    /// For `none` the per-element losses have one entry per row of `derivative`'s first axis.
    private static func reduce(_ loss: Tensor, _ derivative: Tensor, _ reduction: Reduction, op: String, input: Tensor) throws -> Tensor {
        let rows = Double(loss.count)
        switch reduction {
        case .none:
            let perRow = derivative.count / max(loss.count, 1)
            return try Tensor.record(op, inputs: [input], output: loss) { g in
                // Each per-element loss scales its own row of the derivative.
                [derivative.view([loss.count, perRow]).zip(g.view([loss.count, 1]), .multiply)!.view(derivative.shape)]
            }
        case .sum:
            return try Tensor.record(op, inputs: [input], output: loss.sumAll()) { g in
                [derivative.map(.affine(scale: g.item, shift: 0))]
            }
        case .mean:
            let out = loss.sumAll().map(.affine(scale: 1 / rows, shift: 0))
            return try Tensor.record(op, inputs: [input], output: out) { g in
                [derivative.map(.affine(scale: g.item / rows, shift: 0))]
            }
        }
    }
}
