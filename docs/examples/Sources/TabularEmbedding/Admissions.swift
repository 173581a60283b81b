import Foundation
import TensorCore
import Datasets

/// Synthetic hospital admissions, each row a pure function of (seed, row number) — nothing is held in
/// memory, any rank reads any row: 8 numeric measurements (standard normal), the admitting site
/// (0..<40) and ward (0..<12), and a 30-day readmission drawn from a known logistic model with site
/// and ward effects and one interaction. Because the model is known, so is the best loss any
/// predictor can reach on given rows (`bestLoss`).
struct Admissions: DataSource {
    static let (measurements, sites, wards) = (8, 40, 12)

    let seed: UInt64
    /// Which rows of the endless table: training and validation take disjoint ranges.
    let rows: Range<Int>

    var count: Int { rows.count }

    /// The true model, drawn once from the seed: weights, site and ward effects.
    private var truth: RandomKey { RandomKey(seed: seed, stream: .syntheticData, a: 0x41444D) }   // "ADM"

    /// Row `i`'s measurements, site, ward and its true readmission probability.
    func row(_ i: Int) -> (measurements: [Float], site: Int, ward: Int, probability: Double) {
        let key = RandomKey(seed: seed, stream: .syntheticData, a: 0x524F57, b: UInt32(truncatingIfNeeded: rows.lowerBound + i))
        let x = (0..<Self.measurements).map { Float(key.normal(at: UInt64($0))) }
        let site = Int(key.uniformDouble(at: 100) * Double(Self.sites)), ward = Int(key.uniformDouble(at: 101) * Double(Self.wards))
        var logit = -1.0 + 0.8 * Double(x[0] * x[1])
        for j in 0..<Self.measurements { logit += 0.5 * truth.normal(at: UInt64(j)) * Double(x[j]) }
        logit += 0.8 * truth.normal(at: UInt64(100 + site)) + 0.5 * truth.normal(at: UInt64(200 + ward))
        return (x, site, ward, 1 / (1 + exp(-logit)))
    }

    /// Whether row `i` was readmitted: a draw with its true probability.
    func label(_ i: Int) -> Float {
        let key = RandomKey(seed: seed, stream: .syntheticData, a: 0x4C4142, b: UInt32(truncatingIfNeeded: rows.lowerBound + i))
        return key.uniformDouble(at: 0) < row(i).probability ? 1 : 0
    }

    /// Inputs (m, 10): the measurements, then site and ward as whole numbers (what `Embedding` reads);
    /// targets (m, 1).
    func batch(indices: ArraySlice<Int>) throws -> (inputs: Tensor, targets: Tensor) {
        let width = Self.measurements + 2
        let inputs = Tensor(uninitializedShape: [indices.count, width]), targets = Tensor(uninitializedShape: [indices.count, 1])
        for (k, i) in indices.enumerated() {
            let r = row(i)
            for j in 0..<Self.measurements { inputs.floats[k * width + j] = r.measurements[j] }
            inputs.floats[k * width + Self.measurements] = Float(r.site)
            inputs.floats[k * width + Self.measurements + 1] = Float(r.ward)
            targets.floats[k] = label(i)
        }
        return (inputs, targets)
    }

    /// The true model's mean log loss on these rows: no predictor can expect to do better.
    func bestLoss() -> Double {
        (0..<count).reduce(0.0) { sum, i in
            let p = row(i).probability, y = label(i)
            return sum - (y == 1 ? log(p) : log(1 - p))
        } / Double(count)
    }
}
