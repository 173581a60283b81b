import TensorCore

/// What a train-mode batch norm measured on its batch, for the running statistics.
public struct BatchStatistics {
    public let mean: Tensor       // (C)
    public let variance: Tensor   // (C), biased
    public let count: Int         // N
}

extension Tensor {
    /// Batch normalisation of (N, C) as one op (PyTorch's `F.batch_norm`). In train mode
    /// (`running == nil`) it normalises with the batch's own statistics and returns them; in eval mode
    /// it uses the running statistics. The derivative rule is in `Tensor.batchNormBackward`:
    /// with batch statistics `dx = γ·inv/N · (N·g − Σg − x̂·Σ(g·x̂))`, `dγ = Σ g·x̂`, `dβ = Σ g`.
    public static func batchNorm(_ x: Tensor, weight: Tensor?, bias: Tensor?, epsilon: Double,
                                 running: (mean: Tensor, variance: Tensor)?) throws -> (output: Tensor, statistics: BatchStatistics?) {
        guard x.rank == 2 else {
            throw AutogradError.invalidArgument(op: "batch_norm", message: "expects (N, C) input, got \(x.shape)")
        }
        let c = x.shape[1]
        for p in [weight, bias, running?.mean, running?.variance].compactMap({ $0 }) where p.count != c {
            throw AutogradError.shapeMismatch(op: "batch_norm", lhs: x.shape, rhs: p.shape)
        }
        if running == nil && x.shape[0] < 2 {
            throw AutogradError.invalidArgument(op: "batch_norm", message: "needs more than 1 value per channel in train mode, got input \(x.shape)")
        }
        let f = batchNormForward(x, weight: weight, bias: bias, epsilon: epsilon,
                                 runningMean: running?.mean, runningVariance: running?.variance)
        let useBatch = running == nil
        let (needX, needW, needB) = (x.requiresGrad, weight?.requiresGrad ?? false, bias?.requiresGrad ?? false)
        let inputs = [x] + [weight, bias].compactMap { $0 }
        let output = try record("batch_norm", inputs: inputs, output: f.output) { g in
            let (dx, dw, db) = batchNormBackward(g, normalized: f.normalized, inverseStd: f.inverseStd,
                                                  weight: weight, usedBatchStatistics: useBatch)
            var grads: [Tensor?] = [needX ? dx : nil]
            if weight != nil { grads.append(needW ? dw : nil) }
            if bias != nil { grads.append(needB ? db : nil) }
            return grads
        }
        return (output, useBatch ? BatchStatistics(mean: f.mean, variance: f.variance, count: x.shape[0]) : nil)
    }

    /// Layer normalisation over the last axis as one op (PyTorch's `F.layer_norm`); per row
    /// `dx = inv/C · (C·ĝ − Σĝ − x̂·Σ(ĝ·x̂))` with `ĝ = γ·g`, `dγ = Σ g·x̂`, `dβ = Σ g`.
    public static func layerNorm(_ x: Tensor, weight: Tensor?, bias: Tensor?, epsilon: Double) throws -> Tensor {
        guard let c = x.shape.last, x.rank >= 1 else {
            throw AutogradError.invalidArgument(op: "layer_norm", message: "expects at least 1-D input")
        }
        for p in [weight, bias].compactMap({ $0 }) where p.count != c {
            throw AutogradError.shapeMismatch(op: "layer_norm", lhs: x.shape, rhs: p.shape)
        }
        let f = layerNormForward(x, weight: weight, bias: bias, epsilon: epsilon)
        let (needX, needW, needB) = (x.requiresGrad, weight?.requiresGrad ?? false, bias?.requiresGrad ?? false)
        let inputs = [x] + [weight, bias].compactMap { $0 }
        return try record("layer_norm", inputs: inputs, output: f.output) { g in
            let (dx, dw, db) = layerNormBackward(g, normalized: f.normalized, inverseStd: f.inverseStd, weight: weight)
            var grads: [Tensor?] = [needX ? dx : nil]
            if weight != nil { grads.append(needW ? dw : nil) }
            if bias != nil { grads.append(needB ? db : nil) }
            return grads
        }
    }
}
