import Config
extension RunConfig {
    /// This config as the benchmarks run it: one micro-batch of `micro` samples per rank and step on
    /// `worldSize` ranks, and synthetic data large enough that the training split holds a global batch.
    func sizedForBenchmark(micro: Int, worldSize: Int = 1) -> RunConfig {
        var c = self
        let global = micro * worldSize
        c.batch = BatchConfig(global: global, micro: micro)
        let needed = 2 * global + 64   // the default 20 % validation split leaves ≥ one global batch
        switch c.data.source {
        case .syntheticClinical(let samples):
            c.data.source = .syntheticClinical(samples: max(samples, needed))
        case let .syntheticWide(samples, features, classes):
            c.data.source = .syntheticWide(samples: max(samples, needed), features: features, classes: classes)
        case .csv, .packed:
            break
        }
        return c
    }
}
