/// Per-feature standardisation `(x − mean) / std`, fitted on the training split only so that nothing
/// about the validation rows leaks into training, and then applied to both splits.
///
/// The std is the population one (divide by `n`, as scikit-learn's `StandardScaler`), accumulated in
/// Double. A constant feature (std 0) is centred and left at scale 1 rather than divided by zero.
/// Codable so that it can be saved next to a model: inference must use the training statistics.
///
/// ```swift
/// let standardizer = Standardizer(fitting: train)
/// let trainZ = standardizer.apply(to: train), validationZ = standardizer.apply(to: validation)
/// ```
public struct Standardizer: Sendable, Hashable, Codable {
    public let mean: [Float]
    /// The divisor per feature: the std, or 1 where the std is 0.
    public let scale: [Float]

    public init(mean: [Float], scale: [Float]) {
        precondition(mean.count == scale.count, "\(mean.count) means but \(scale.count) scales")
        precondition(scale.allSatisfy { $0 > 0 && $0.isFinite }, "scales must be positive and finite")
        self.mean = mean
        self.scale = scale
    }

    /// Fits the mean and std of every feature of `dataset` (two passes, for accuracy).
    public init(fitting dataset: TabularDataset) {
        let n = dataset.count, width = dataset.featureCount
        precondition(n > 0, "cannot fit a standardizer on an empty data set")
        var sums = [Double](repeating: 0, count: width)
        dataset.features.withUnsafeBufferPointer { x in
            for i in 0..<n { for f in 0..<width { sums[f] += Double(x[i * width + f]) } }
        }
        let means = sums.map { $0 / Double(n) }
        var squares = [Double](repeating: 0, count: width)
        dataset.features.withUnsafeBufferPointer { x in
            for i in 0..<n {
                for f in 0..<width {
                    let d = Double(x[i * width + f]) - means[f]
                    squares[f] += d * d
                }
            }
        }
        let stds = squares.map { ($0 / Double(n)).squareRoot() }
        self.init(mean: means.map { Float($0) }, scale: stds.map { $0 > 0 ? Float($0) : 1 })
    }

    /// `dataset` with every feature standardised; targets and task unchanged.
    public func apply(to dataset: TabularDataset) -> TabularDataset {
        precondition(dataset.featureCount == mean.count,
                     "standardizer fitted on \(mean.count) features applied to \(dataset.featureCount)")
        var z = dataset.features
        transform(&z)
        return dataset.replacingFeatures(z)
    }

    /// Standardises row-major feature values in place (any number of rows).
    public func transform(_ values: inout [Float]) {
        let width = mean.count
        precondition(width > 0 ? values.count % width == 0 : values.isEmpty,
                     "\(values.count) values are not whole rows of \(width) features")
        guard width > 0 else { return }
        values.withUnsafeMutableBufferPointer { x in
            for start in stride(from: 0, to: x.count, by: width) {
                for f in 0..<width { x[start + f] = (x[start + f] - mean[f]) / scale[f] }
            }
        }
    }
}
