import Foundation
import TensorCore

// How one synthetic patient is made. Five hidden standard-normal factors give the features realistic
// correlations (old patients are frailer, sicker patients have more drugs and worse labs, ...); each
// feature then adds noise of its own and is rounded to the precision a record would hold (whole years
// and days, one decimal for haemoglobin, two for creatinine). The hidden factors do not enter the
// label: the label depends on the observed features only, so p(x) really is the best possible score.
//
// Draw layout for sample i (key (seed, .syntheticData, a: i)). Each slot is fixed, so changing one
// feature's formula never moves another feature's randomness.
//   b = 0, normal(at: k):         k = 0...4 hidden factors; k = 8 + f noise of feature f
//   b = 1, uniformDouble(at: f):  the Bernoulli draw of flag f, or the Poisson draw of count f
//   b = 2, uniformDouble(at: 0):  the label draw

extension SyntheticClinical {
    /// Writes the 20 features of sample `index` into `row`, in `Feature` order.
    public func writeFeatures(ofSample index: Int, into row: UnsafeMutableBufferPointer<Float>) {
        precondition(row.count == Self.featureCount, "a row holds \(Self.featureCount) features, got \(row.count)")
        let normals = sampleKey(index, purpose: 0)
        let uniforms = sampleKey(index, purpose: 1)
        func noise(_ f: Feature) -> Double { normals.normal(at: 8 + UInt64(f.rawValue)) }
        func flag(_ f: Feature, logit: Double) -> Double {
            uniforms.uniformDouble(at: UInt64(f.rawValue)) < 1 / (1 + exp(-logit)) ? 1 : 0
        }
        func count(_ f: Feature, mean: Double) -> Double {
            poissonInverse(mean: mean, uniform: uniforms.uniformDouble(at: UInt64(f.rawValue)), cap: 20)
        }
        func set(_ f: Feature, _ value: Double) { row[f.rawValue] = Float(value) }

        let frailty = normals.normal(at: 0), severity = normals.normal(at: 1), careUse = normals.normal(at: 2)
        let renal = normals.normal(at: 3), isolation = normals.normal(at: 4)

        // Age: adult inpatients, mean ≈ 63, sd ≈ 16; standardised so other features can lean on it.
        let ageZ = 0.7 * frailty + 0.714 * noise(.age)
        set(.age, clamp((63 + 16 * ageZ).rounded(), 18, 100))

        // Comorbidities (prevalence ≈ 25 %, 12 %, 12 %, 18 %) and living alone (≈ 28 %).
        let diabetes = flag(.diabetes, logit: -1.15 + 0.45 * severity + 0.25 * ageZ)
        let chf = flag(.chf, logit: -2.3 + 0.7 * ageZ + 0.6 * severity)
        let copd = flag(.copd, logit: -2.1 + 0.35 * ageZ + 0.35 * severity + 0.3 * isolation)
        let ckd = flag(.ckd, logit: -2.0 + 1.2 * renal + 0.4 * ageZ + 0.3 * diabetes)
        let livesAlone = flag(.livesAlone, logit: -1.1 + 0.9 * isolation + 0.3 * ageZ)
        let comorbidities = diabetes + chf + copd + ckd
        set(.diabetes, diabetes); set(.chf, chf); set(.copd, copd); set(.ckd, ckd); set(.livesAlone, livesAlone)

        // Length of stay: log-normal whole days, median 3, long right tail.
        let stay = clamp(exp(1.25 + 0.3 * severity + 0.1 * ageZ + 0.5 * noise(.lengthOfStay)).rounded(), 1, 60)
        set(.lengthOfStay, stay)
        // Discharge to a skilled nursing facility (≈ 12 %): the old, the sick, the alone, the long stays.
        set(.dischargeToSNF, flag(.dischargeToSNF,
                                  logit: -2.6 + 0.9 * ageZ + 0.4 * severity + 0.5 * livesAlone + 0.08 * (stay - 4)))

        // Utilisation counts: Poisson, overdispersed through the hidden factors (mean ≈ 0.6 each).
        set(.priorAdmissions12m, count(.priorAdmissions12m, mean: exp(-0.8 + 0.7 * careUse + 0.35 * severity)))
        set(.edVisits6m, count(.edVisits6m, mean: exp(-0.7 + 0.6 * careUse + 0.4 * isolation + 0.2 * severity)))
        set(.numMedications, clamp(exp(2.2 + 0.2 * severity + 0.12 * ageZ + 0.12 * comorbidities
                                       + 0.3 * noise(.numMedications)).rounded(), 0, 50))
        set(.numDiagnoses, clamp(exp(1.8 + 0.25 * severity + 0.1 * ageZ + 0.1 * comorbidities
                                     + 0.3 * noise(.numDiagnoses)).rounded(), 1, 30))

        // Labs at discharge.
        set(.hemoglobin, clamp(round(13.0 - 0.6 * severity - 0.5 * ckd - 0.3 * ageZ + 1.4 * noise(.hemoglobin),
                                     decimals: 1), 5, 19))                                          // g/dL
        set(.sodium, clamp((139 - 0.8 * severity - 1.5 * chf + 3.0 * noise(.sodium)).rounded(), 115, 160))  // mmol/L
        set(.creatinine, clamp(round(exp(log(0.9) + 0.25 * renal + 0.7 * ckd + 0.1 * ageZ + 0.15 * chf
                                         + 0.18 * noise(.creatinine)), decimals: 2), 0.3, 15))      // mg/dL
        set(.albumin, clamp(round(3.7 - 0.3 * severity - 0.15 * ageZ - 0.15 * chf + 0.35 * noise(.albumin),
                                  decimals: 1), 1.5, 5.2))                                          // g/dL
        let glucoseMedian = diabetes == 1 ? 150.0 : 102.0, glucoseSpread = diabetes == 1 ? 0.35 : 0.15
        set(.glucose, clamp((exp(log(glucoseMedian) + glucoseSpread * noise(.glucose)) + 4 * severity).rounded(),
                            40, 600))                                                               // mg/dL

        // Vitals and body size.
        set(.bmi, clamp(round(28 + 2.5 * diabetes - 0.8 * ageZ + 5.5 * noise(.bmi), decimals: 1), 14, 65))
        set(.systolicBP, clamp((128 + 5 * ageZ - 4 * chf + 17 * noise(.systolicBP)).rounded(), 70, 220))  // mmHg
        set(.heartRate, clamp((80 + 3 * severity + 4 * copd + 2 * chf + 12 * noise(.heartRate)).rounded(),
                              40, 160))                                                              // bpm
    }

    /// The uniform draw that decides sample `index`'s label.
    func labelDraw(ofSample index: Int) -> Double {
        sampleKey(index, purpose: 2).uniformDouble(at: 0)
    }

    private func sampleKey(_ index: Int, purpose: UInt32) -> RandomKey {
        precondition(index >= 0 && index <= Int(UInt32.max), "sample index \(index) out of range 0..<2^32")
        return RandomKey(seed: seed, stream: .syntheticData, a: UInt32(index), b: purpose)
    }
}

@inline(__always) private func clamp(_ x: Double, _ low: Double, _ high: Double) -> Double {
    min(max(x, low), high)
}

@inline(__always) private func round(_ x: Double, decimals: Int) -> Double {
    let scale = decimals == 1 ? 10.0 : 100.0
    return (x * scale).rounded() / scale
}

/// A Poisson(mean) variate by inversion of one uniform: the smallest k with CDF(k) ≥ u, capped. One
/// uniform per value keeps the draw layout fixed (a rejection sampler would use a variable number).
private func poissonInverse(mean: Double, uniform u: Double, cap: Int) -> Double {
    var k = 0, term = exp(-mean), cdf = term
    while u > cdf && k < cap {
        k += 1
        term *= mean / Double(k)
        cdf += term
    }
    return Double(k)
}
