@testable import Datasets
import Testing

/// The streaming fitter against the definitions it replaces: a sorted copy's middle for the median, a
/// row-order Double sum for the mean, `Standardizer` for the scale.
@Suite struct PreprocessingFitterTests {
    /// One numeric column of `values` (NaN = empty) fitted under `missing`, standardised.
    func fit(_ values: [Float], missing: DataOptions.Missing) throws -> Preprocessing.Column {
        let layout = try TableLayout(header: ["x", "y"], options: DataOptions(), label: "y", source: "t.csv")
        let fitter = PreprocessingFitter(layout: layout, vocabularies: [[]], options: DataOptions(missing: missing),
                                         standardize: true, path: "t.csv", firstLine: 2)
        return try fitter.fit(task: .regression) { visit in
            for v in values { [v].withUnsafeBufferPointer { visit($0) } }
        }.columns[0]
    }

    @Test(arguments: [1, 2, 3, 10, 11, 1000, 1001])
    func medianIsTheSortedMiddle(count: Int) throws {
        var state = UInt64(count)
        func next() -> UInt64 { state = state &* 6364136223846793005 &+ 1442695040888963407; return state >> 33 }
        // Few distinct values (ties across the two middle ranks), zeros of both signs, wide magnitudes.
        let pool: [Float] = [-0.0, 0.0, -1e30, 1e-38, -2.5, 3, 3, 7.25, .leastNonzeroMagnitude, -.greatestFiniteMagnitude]
        for trial in 0..<20 {
            let values = (0..<count).map { i -> Float in
                trial % 2 == 0 ? pool[Int(next() % UInt64(pool.count))] : Float(Int(next() % 2001) - 1000) / 8 + (i % 7 == 0 ? .nan : 0)
            }
            let observed = values.filter { !$0.isNaN }
            guard !observed.isEmpty else { continue }
            let sorted = observed.sorted(), mid = sorted.count / 2
            let expected = sorted.count % 2 == 1 ? sorted[mid] : Float((Double(sorted[mid - 1]) + Double(sorted[mid])) / 2)
            let median = try #require(try fit(values, missing: .median).impute)
            #expect(median == expected || (median == 0 && expected == 0), "\(count) rows, trial \(trial)")
            #expect(median.sign == .plus || median != 0, "a zero median is +0 whichever zero came first")
        }
    }

    @Test func meanAndStandardisationAreTheRowOrderSums() throws {
        let values: [Float] = [1e8, 1, -1e8, 3, .nan, 0.1, 2]
        let column = try fit(values, missing: .mean)
        let observed = values.filter { !$0.isNaN }
        let mean = Float(observed.reduce(0.0) { $0 + Double($1) } / Double(observed.count))
        #expect(column.impute == mean)
        let imputed = values.map { $0.isNaN ? mean : $0 }
        let standardizer = Standardizer(fitting: TabularDataset(featureNames: ["x"], features: imputed,
                                                                targets: imputed.map { _ in 0 }, task: .regression))
        #expect(column.mean == standardizer.mean[0] && column.scale == standardizer.scale[0])
    }

    @Test func keysOrderFloatsAndRoundTrip() {
        let ordered: [Float] = [-.infinity, -1e30, -1, -.leastNonzeroMagnitude, 0, .leastNonzeroMagnitude, 1, 1e30, .infinity]
        let keys = ordered.map(PreprocessingFitter.key)
        #expect(keys == keys.sorted() && Set(keys).count == keys.count)
        #expect(ordered.allSatisfy { PreprocessingFitter.value(PreprocessingFitter.key($0)) == $0 })
        #expect(PreprocessingFitter.key(-0.0) == PreprocessingFitter.key(0))
    }
}
