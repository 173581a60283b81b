/// The linear scaling rule of Goyal et al., "Accurate, Large Minibatch SGD" (2017): when the global
/// batch grows k-fold, grow the learning rate k-fold, `baseLR · globalBatch / referenceBatch`
/// (their ImageNet recipe: 0.1 per 256 images). Pair it with a warmup for large k.
///
/// ```swift
/// linearScaledLR(baseLR: 0.1, globalBatch: 1024, referenceBatch: 256)   // 0.4
/// ```
///
/// - Precondition: both batch sizes are positive.
public func linearScaledLR(baseLR: Double, globalBatch: Int, referenceBatch: Int) -> Double {
    precondition(globalBatch > 0 && referenceBatch > 0,
                 "batch sizes must be positive (global \(globalBatch), reference \(referenceBatch))")
    return baseLR * Double(globalBatch) / Double(referenceBatch)
}
