import Foundation

// The known truth behind the synthetic labels. The logit mixes shapes a linear model cannot draw —
// a U in sodium and in glucose, thresholds (long stays, polypharmacy, tachycardia, low blood pressure),
// saturating counts and interactions (heart failure × living alone, diabetes × high glucose, living alone
// × not going to a nursing facility) — so that a logistic regression on the raw features falls about
// 0.07 AUC short of the best possible while a small MLP gets within about 0.015 (docs/datasets.md).

extension SyntheticClinical {
    /// The best AUC any model can reach on this data: the AUC of the true `p(x)` against the labels,
    /// measured with `empiricalBayesAUC` on 10,000,000 samples (seeds 11…20, 1,000,000 each: mean
    /// 0.86178, standard error 0.00014). A single 200,000-sample draw scatters by about ±0.0013.
    public static let bayesAUC: Double = 0.8618

    /// The true log-odds of 30-day readmission given features `x` (in `Feature` order, raw units).
    public static func trueLogit(features x: some RandomAccessCollection<Float>) -> Double {
        precondition(x.count == featureCount, "the ground truth takes \(featureCount) features, got \(x.count)")
        func v(_ f: Feature) -> Double { Double(x[x.index(x.startIndex, offsetBy: f.rawValue)]) }
        func indicator(_ condition: Bool) -> Double { condition ? 1 : 0 }

        let age = v(.age), stay = v(.lengthOfStay), sodium = v(.sodium), glucose = v(.glucose)
        let chf = v(.chf), livesAlone = v(.livesAlone), snf = v(.dischargeToSNF)
        let sodiumDeviation = (sodium - 140) / 4

        var logit = -4.4
        logit += 0.66 * log1p(v(.priorAdmissions12m))                    // each prior admission adds less
        logit += 0.36 * log1p(v(.edVisits6m))
        logit += 0.30 * max(0, (age - 70) / 10)                          // risk rises only past 70
        logit += 0.42 * indicator(stay >= 5) + 0.42 * indicator(stay >= 10)
        logit += 1.08 * min(sodiumDeviation * sodiumDeviation, 6)        // U: hypo- and hypernatraemia
        logit += 1.08 * max(0, 3.5 - v(.albumin))                        // malnutrition
        logit += 0.36 * max(0, 11.5 - v(.hemoglobin))                    // anaemia
        logit += 0.60 * log(v(.creatinine))
        logit += 0.54 * indicator(v(.numMedications) >= 15)              // polypharmacy
        logit += 0.048 * v(.numDiagnoses)
        logit += 0.48 * chf + 1.2 * chf * livesAlone                     // heart failure, worse alone
        logit += 0.36 * v(.copd)
        logit += 0.84 * v(.diabetes) * indicator(glucose > 200)          // poorly controlled diabetes
        logit += 0.72 * indicator(glucose < 70)                          // hypoglycaemia
        logit += 0.36 * snf + 0.84 * livesAlone * (1 - snf)              // alone at home, no facility
        logit += 0.48 * indicator(v(.heartRate) > 100)
        logit += 0.60 * indicator(v(.systolicBP) < 100)
        logit += 0.60 * indicator(v(.bmi) < 18.5) + 0.24 * indicator(v(.bmi) > 40)
        return logit
    }

    /// The true probability of 30-day readmission given features `x`: the sigmoid of `trueLogit`.
    public static func trueProbability(features x: some RandomAccessCollection<Float>) -> Double {
        1 / (1 + exp(-trueLogit(features: x)))
    }

    /// The AUC of the true probabilities against the labels on samples `firstSample ..< firstSample + count`:
    /// an estimate of `bayesAUC` (standard error ≈ 0.001 at 200,000 samples).
    public func empiricalBayesAUC(count: Int, firstSample: Int = 0) -> Double {
        let data = dataset(count: count, firstSample: firstSample)
        let probabilities = (0..<count).map { Self.trueProbability(features: data.row($0)) }
        return auc(scores: probabilities, labels: data.targets)
    }
}
