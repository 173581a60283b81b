/// A synthetic 30-day hospital-readmission data set: 20 clinical-looking features per discharge and a
/// binary label "readmitted within 30 days", drawn from a known nonlinear ground truth.
///
/// Every value is a pure function of `(seed, sample index, feature)`: sample `i` is computed from
/// Philox draws keyed `(seed, stream: .syntheticData, a: i)`, so any process can produce any slice of
/// the data set without generating the rest, and a larger data set extends a smaller one. Because the
/// true readmission probability `p(x)` is known, the best AUC any model could reach is known too
/// (`bayesAUC`), which turns "did training work?" into a number.
///
/// The features, their units and their correlations (through five hidden factors: frailty, illness
/// severity, use of care, renal function and social isolation) are described in docs/datasets.md.
///
/// ```swift
/// let clinical = SyntheticClinical(seed: 2024)
/// let train = clinical.dataset(count: 16_000)                             // samples 0..<16000
/// let test = clinical.dataset(count: 100_000, firstSample: 1_000_000)    // disjoint samples
/// SyntheticClinical.trueProbability(features: train.row(0))             // p(readmission | x)
/// ```
public struct SyntheticClinical: Sendable, Hashable {
    /// The features, in column order.
    public enum Feature: Int, CaseIterable, Sendable {
        case age, lengthOfStay, priorAdmissions12m, edVisits6m, numMedications, numDiagnoses
        case hemoglobin, sodium, creatinine, albumin, glucose, bmi, systolicBP, heartRate
        case diabetes, chf, copd, ckd, dischargeToSNF, livesAlone

        /// The column name, in the snake_case a CSV export would use.
        public var name: String { SyntheticClinical.featureNames[rawValue] }
    }

    /// Column names, in `Feature` order.
    public static let featureNames: [String] = [
        "age", "length_of_stay", "prior_admissions_12m", "ed_visits_6m", "num_medications", "num_diagnoses",
        "hemoglobin", "sodium", "creatinine", "albumin", "glucose", "bmi", "systolic_bp", "heart_rate",
        "diabetes", "chf", "copd", "ckd", "discharge_to_snf", "lives_alone",
    ]

    public static var featureCount: Int { featureNames.count }

    public let seed: UInt64

    public init(seed: UInt64) {
        self.seed = seed
    }

    /// The features of sample `index`, in `Feature` order.
    public func features(ofSample index: Int) -> [Float] {
        [Float](unsafeUninitializedCapacity: Self.featureCount) { buffer, initialized in
            writeFeatures(ofSample: index, into: buffer)
            initialized = Self.featureCount
        }
    }

    /// The 0/1 label of sample `index`, whose features are `features`: Bernoulli(p(features)), from a
    /// uniform draw of its own so that the label's randomness is separate from the features'.
    public func label(ofSample index: Int, features: some RandomAccessCollection<Float>) -> Float {
        labelDraw(ofSample: index) < Self.trueProbability(features: features) ? 1 : 0
    }

    /// Samples `firstSample ..< firstSample + count` as a binary-classification data set.
    public func dataset(count: Int, firstSample: Int = 0) -> TabularDataset {
        precondition(count >= 0 && firstSample >= 0, "negative count or first sample")
        let width = Self.featureCount
        var labels = [Float](repeating: 0, count: count)
        let values = [Float](unsafeUninitializedCapacity: count * width) { buffer, initialized in
            for k in 0..<count {
                let row = UnsafeMutableBufferPointer(rebasing: buffer[k * width ..< (k + 1) * width])
                writeFeatures(ofSample: firstSample + k, into: row)
                labels[k] = labelDraw(ofSample: firstSample + k) < Self.trueProbability(features: UnsafeBufferPointer(row)) ? 1 : 0
            }
            initialized = count * width
        }
        return TabularDataset(featureNames: Self.featureNames, features: values, targets: labels,
                              task: .binaryClassification)
    }
}
