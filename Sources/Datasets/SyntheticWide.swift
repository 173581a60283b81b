import TensorCore

/// Wide random data for speed work: `features` standard-normal inputs per sample and a class label in
/// `0..<classes` given by the largest of `classes` fixed random projections of the inputs (so the
/// task is learnable). Every value is a pure function of (seed, sample, feature).
///
/// ```swift
/// let data = SyntheticWide(seed: 7, features: 1024, classes: 10).dataset(count: 4096)
/// ```
public struct SyntheticWide: Sendable, Hashable {
    public let seed: UInt64
    public let features: Int
    public let classes: Int

    public init(seed: UInt64, features: Int, classes: Int) {
        self.seed = seed
        self.features = features
        self.classes = classes
    }

    public func dataset(count: Int) -> TabularDataset {
        let inputKey = RandomKey(seed: seed, stream: .syntheticData, a: 0x5749_4445)   // "WIDE"
        let projectionKey = RandomKey(seed: seed, stream: .syntheticData, a: 0x5052_4f4a)   // "PROJ"
        var projection = [Float](repeating: 0, count: classes * features)   // (K, F)
        for i in projection.indices { projection[i] = Float(projectionKey.normal(at: UInt64(i))) }
        var values = [Float](repeating: 0, count: count * features)          // (N, F)
        var labels = [Float](repeating: 0, count: count)
        var scores = [Float](repeating: 0, count: classes)
        for n in 0..<count {
            let key = inputKey.with(b: UInt32(truncatingIfNeeded: n))
            for f in 0..<features { values[n * features + f] = Float(key.normal(at: UInt64(f))) }
            for k in 0..<classes {
                var s: Float = 0
                for f in 0..<features { s += projection[k * features + f] * values[n * features + f] }
                scores[k] = s
            }
            labels[n] = Float(scores.indices.max { scores[$0] < scores[$1] }!)
        }
        return TabularDataset(featureNames: (0..<features).map { "x\($0)" }, features: values, targets: labels,
                              task: .multiclass(classes: classes))
    }
}
