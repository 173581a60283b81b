import Foundation
import Testing
import Training

/// JSON never carries a non-finite number: an undefined metric is `null` with a reason (issue 11,
/// defect 4: a one-class validation split or an infinite loss used to abort the JSON write).
@Suite("JSON output")
struct JSONOutputTests {
    func object(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    @Test func undefinedMetricsAreNullWithAReason() throws {
        var result = EvaluationResult(loss: .infinity, accuracy: 0.5, auc: .nan, samples: 10)
        result.undefined["auc"] = "the validation labels are all one class"
        let json = try object(try JSONOutput.line(result))
        #expect(json["loss"] is NSNull)
        #expect(json["loss_undefined"] as? String == "not finite (+inf)")
        #expect(json["auc"] is NSNull)
        #expect(json["auc_undefined"] as? String == "the validation labels are all one class")
        #expect(json["accuracy"] as? Double == 0.5)
        #expect(json["samples"] as? Int == 10)
    }

    @Test func metricsThatDoNotApplyAreLeftOut() throws {
        let line = try JSONOutput.line(EvaluationResult(loss: 0.25, accuracy: nil, auc: nil, samples: 4))
        #expect(line == #"{"loss":0.25,"samples":4}"#)
    }

    @Test func recordsKeepTheirKeys() throws {
        let train = try object(try JSONOutput.line(TrainRecord(step: 3, loss: .nan, learningRate: 0.1,
                                                               samplesPerSecond: 100, gradientNorm: 2)))
        #expect(Set(train.keys) == ["event", "step", "loss", "loss_undefined", "lr", "samples_per_second", "grad_norm"])
        #expect(train["event"] as? String == "train")
        let eval = try object(try JSONOutput.line(EvalRecord(step: 3, validation: EvaluationResult(
            loss: 1, accuracy: 1, auc: 1, samples: 2))))
        #expect(Set(eval.keys) == ["event", "step", "validation"])
    }

    @Test func summaryWithADivergedLossRoundTrips() throws {
        let summary = RunSummary(steps: 2, worldSize: 1, globalBatch: 8, microBatch: 8, accumulation: 1,
                                 reduction: "deterministic", finalTrainLoss: .nan,
                                 validation: .init(loss: .nan, accuracy: nil, auc: .nan),
                                 samplesPerSecond: 1, secondsPerStep: 1, wallSeconds: 2, parameterCount: 3,
                                 paramsSHA256: "00", configDigest: "11", seed: 7, communicationSecondsPerStep: 0)
        let bytes = try JSONOutput.pretty(summary)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
        #expect(json["final_train_loss"] is NSNull)
        #expect(json["final_train_loss_undefined"] as? String == "not finite (nan)")
        let back = try JSONDecoder().decode(RunSummary.self, from: Data(bytes))
        #expect(back.finalTrainLoss.isNaN && back.validation.loss!.isNaN && back.validation.auc!.isNaN)
        #expect(back.validation.accuracy == nil && back.seed == 7 && back.paramsSHA256 == "00")
    }

    @Test func metricsReadBackTypedAndATornLastLineIsSkipped() throws {
        let dir = try TT.temporaryDirectory("metrics-read")
        defer { TT.remove(dir) }
        let path = dir + "/metrics.jsonl"
        var oneClass = EvaluationResult(loss: 0.5, accuracy: 1, auc: nil, samples: 3)
        oneClass.undefined["auc"] = "the data holds only one class"
        let log = try MetricsLog(path: path)
        try log.append(.segment(RunSegment(worldSize: 2, startStep: 0, restart: 0, cause: nil)))
        try log.append(.train(TrainRecord(step: 1, loss: .infinity, learningRate: 0.1, samplesPerSecond: 10, gradientNorm: 2)))
        try log.append(.eval(EvalRecord(step: 1, validation: oneClass)))
        try log.append(.train(TrainRecord(step: 2, loss: 0.25, learningRate: 0.1, samplesPerSecond: 10, gradientNorm: nil)))
        // A crash mid-append: the last line is cut short.
        let handle = try #require(FileHandle(forWritingAtPath: path))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(#"{"elapsed_seconds":0.1,"event":"train","lo"#.utf8))
        try handle.close()

        let records = try MetricsLog.read(path)
        #expect(records.compactMap(\.step) == [1, 1, 2])
        guard case .segment(let segment) = records[0].event, case .train(let diverged) = records[1].event,
              case .eval(let eval) = records[2].event, case .train(let logged) = records[3].event else {
            Issue.record("records in the wrong order: \(records)")
            return
        }
        #expect(segment.worldSize == 2 && diverged.loss == Metric(undefined: "not finite (+inf)"))
        #expect(diverged.gradientNorm == Metric(2) && logged.gradientNorm == nil && logged.loss.value == 0.25)
        #expect(eval.validation.auc == nil && eval.validation.undefined["auc"] == "the data holds only one class")
        #expect(eval.validation.accuracy == 1 && eval.validation.samples == 3)
        // What was read encodes to the lines that were written.
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").dropLast()
        #expect(try records.map { try JSONOutput.line($0) } == lines.map(String.init))

        // Resuming after step 1 keeps the segment and step 1, and drops step 2 and the torn line.
        try MetricsLog.cutBack(path, toStep: 1)
        #expect(try MetricsLog.read(path) == Array(records.prefix(3)))
        #expect(try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").count == 3)
    }
}
