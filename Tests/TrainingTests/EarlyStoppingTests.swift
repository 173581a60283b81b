import Foundation
import Testing
import Training
import Checkpointing
import TensorCore
import Distributed
import Config

@Suite("early stopping and best checkpoint")
struct EarlyStoppingTests {
    @Test("the tracker: first value is best, improvement needs more than min_delta, mode decides the direction")
    func tracker() {
        var t = BestTracker(metric: "loss", mode: .min, minDelta: 0.01)
        let improvements = [t.observe(1.0, step: 5), t.observe(0.995, step: 10),   // within min_delta
                            t.observe(0.98, step: 15), t.observe(nil, step: 20)]    // undefined never improves
        #expect(improvements == [true, false, true, false])
        #expect(t.bestStep == 15 && t.sinceImprovement == 1)
        var m = BestTracker(metric: "auc", mode: .max)
        let maxImprovements = [m.observe(0.7, step: 1), m.observe(0.6, step: 2), m.observe(0.71, step: 3)]
        #expect(maxImprovements == [true, false, true])
        #expect(EarlyStopping(metric: "auc").mode == .max && EarlyStopping(metric: "mae").mode == .min)
        #expect(throws: TrainingError.self) { try EarlyStopping(metric: "bleu").check() }
        #expect(throws: TrainingError.self) { try EarlyStopping(patience: 0).check() }
    }

    /// Trains the patients config in `dir/name` on `ranks` simulated ranks.
    func train(_ dir: String, _ name: String, ranks: Int, steps: Int, resume: Bool = false,
               configure: @escaping @Sendable (TrainingRun) -> Void) throws -> RunSummary {
        let csv = dir + "/patients.csv", out = dir + "/" + name
        if !FileManager.default.fileExists(atPath: csv) { try TT.write(PatientsCSV.file(0, 400), to: csv) }
        let yaml = PatientsCSV.configYAML(path: csv, steps: steps, evalEvery: 5, outputDir: out)
            .replacingOccurrences(of: "optimizer: {type: adam, lr: 0.01}", with: "optimizer: {type: adam, lr: 0.05}")
            .replacingOccurrences(of: "output: {dir: \(out)}", with: "output: {dir: \(out), checkpoint_every: 5, keep_checkpoints: 1000}")
        let config = try RunConfig(yaml: yaml, source: name + ".yaml")
        let results = try SimulatedWorld.run(ranks: ranks) { comm in
            let run = TrainingRun(config: config, outputDirectory: out, communicator: comm, resume: resume)
            run.log = { _ in }
            run.showsProgress = false
            run.dataOptions = PatientsCSV.options
            configure(run)
            return try run.run()
        }
        return results[0]
    }

    @Test("stops at the first evaluation `patience` evaluations after the best; best.safetensors is that step's weights; W = 1 and W = 4 agree bit for bit")
    func stopsWhereItShould() throws {
        let dir = try TT.temporaryDirectory("early")
        defer { TT.remove(dir) }
        let steps = 300, patience = 3
        // The run without early stopping gives the validation losses the rule will see.
        _ = try train(dir, "full", ranks: 1, steps: steps) { _ in }
        let evaluations = try MetricsLog.read(dir + "/full/metrics.jsonl")
            .compactMap { if case .eval(let eval) = $0.event { eval } else { nil } }
        var expected = BestTracker(metric: "loss", mode: .min, minDelta: 0.001)
        var expectedStop: Int?
        for evaluation in evaluations {
            let step = evaluation.step, loss = evaluation.validation.loss
            _ = expected.observe(loss, step: step)
            if expected.sinceImprovement >= patience { expectedStop = step; break }
        }
        let stop = try #require(expectedStop, "the rule never fires in \(steps) steps: retune the test")
        let bestStep = try #require(expected.bestStep)

        var summaries: [RunSummary] = []
        for ranks in [1, 4] {
            summaries.append(try train(dir, "stop-w\(ranks)", ranks: ranks, steps: steps) { run in
                run.earlyStopping = EarlyStopping(metric: "loss", patience: patience, minDelta: 0.001)
                run.saveBest = true
            })
        }
        for (summary, name) in zip(summaries, ["stop-w1", "stop-w4"]) {
            #expect(summary.steps == stop, "\(name)")
            #expect(summary.stoppedEarly == true && summary.bestStep == bestStep && summary.bestMetric == "loss")
        }
        let best1 = try SafetensorsArchive(contentsOf: dir + "/stop-w1/best.safetensors")
        let best4 = try SafetensorsArchive(contentsOf: dir + "/stop-w4/best.safetensors")
        #expect(best1.paramsSHA256().hex == best4.paramsSHA256().hex)
        let final1 = try SafetensorsArchive(contentsOf: dir + "/stop-w1/model.safetensors")
        let final4 = try SafetensorsArchive(contentsOf: dir + "/stop-w4/model.safetensors")
        #expect(final1.paramsSHA256().hex == final4.paramsSHA256().hex)
        // The two runs differ only in output.dir, which the config, its digest and the file's content
        // digest (it covers the metadata) include.
        let sameConfigKeys: (String, String) -> Bool = { key, _ in key != "config_digest" && key != "config" && key != "content_sha256" }
        #expect(final1.metadata.filter(sameConfigKeys) == final4.metadata.filter(sameConfigKeys))
        // The best step's checkpoint of the full run holds the same model tensors.
        let checkpoint = try SafetensorsArchive(contentsOf: dir + String(format: "/full/checkpoints/step-%08d.safetensors", bestStep))
        for (name, tensor) in best1.tensors {
            let other = try #require(checkpoint.tensors.first { $0.name == name }?.tensor, "\(name)")
            #expect(tensor.rawBytes == other.rawBytes, "\(name)")
        }
        #expect(best1.metadata["step"] == String(bestStep))
    }
}

extension EarlyStoppingTests {
    @Test("a run that fails after its best step and resumes keeps its patience and best: same stop, same best.safetensors")
    func resumeKeepsTheBest() throws {
        let dir = try TT.temporaryDirectory("early-resume")
        defer { TT.remove(dir) }
        let rule = EarlyStopping(metric: "loss", patience: 3, minDelta: 0.001)
        let whole = try train(dir, "whole", ranks: 1, steps: 300) { run in
            run.earlyStopping = rule
            run.saveBest = true
        }
        let best = try #require(whole.bestStep), stop = whole.steps
        // Fail after a checkpoint between the best step and the stop, then resume in the same folder.
        let failAt = best + 5
        try #require(failAt < stop, "the rule stops right after the best step: retune the test")
        let failure = #expect(throws: (any Error).self) {
            _ = try train(dir, "resumed", ranks: 1, steps: 300) { run in
                run.earlyStopping = rule
                run.saveBest = true
                run.faultInjection = FaultInjection("throw:0:\(failAt)")
            }
        }
        #expect("\(failure!)".contains("injected fault after step \(failAt)"))
        let resumed = try train(dir, "resumed", ranks: 1, steps: 300, resume: true) { run in
            run.earlyStopping = rule
            run.saveBest = true
        }
        #expect(resumed.steps == stop && resumed.bestStep == best && resumed.bestValue == whole.bestValue)
        let a = try SafetensorsArchive(contentsOf: dir + "/whole/best.safetensors")
        let b = try SafetensorsArchive(contentsOf: dir + "/resumed/best.safetensors")
        #expect(a.paramsSHA256().hex == b.paramsSHA256().hex)
    }
}


extension Tensor {
    var rawBytes: [UInt8] { Array(UnsafeRawBufferPointer(start: rawPointer, count: byteCount)) }
}
