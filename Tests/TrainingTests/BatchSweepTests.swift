import Testing
import Foundation
import Training
import Config

/// A collapsed or diverged run is reported, not hidden (`RunCollapse`), and `lockstep sweep` writes its
/// table, chart and verdicts from real runs.
@Suite(.serialized)
struct BatchSweepTests {
    static let config = TT.shippedConfig("clinical-mlp.yaml")

    @Test func collapseRules() {
        var healthy = EvaluationResult(loss: 0.35, accuracy: 0.84, auc: 0.85, samples: 4000)
        healthy.outputRange = 6.2
        #expect(RunCollapse.judge(healthy) == nil)
        #expect(RunCollapse.judge(nil) == nil)

        var constant = healthy
        (constant.outputRange, constant.auc) = (0, 0.5)
        #expect(RunCollapse.judge(constant)?.kind == .constantPredictions)

        var chance = healthy
        chance.auc = 0.5093
        #expect(RunCollapse.judge(chance)?.kind == .chanceLevel)
        chance.auc = 0.4905
        #expect(RunCollapse.judge(chance)?.kind == .chanceLevel)
        chance.auc = 0.2844   // the issue's SGD at B = 32,768, 10 epochs: worse than a coin
        #expect(RunCollapse.judge(chance)?.kind == .chanceLevel)
        chance.auc = 0.5101   // just outside the margin: a weak model, not chance
        #expect(RunCollapse.judge(chance) == nil)

        var diverged = healthy
        diverged.loss = .nan
        #expect(RunCollapse.judge(diverged)?.kind == .diverged)

        var multiclass = EvaluationResult(loss: 1.2, accuracy: 0.3, samples: 100)
        multiclass.confusion = [[30, 0, 0], [40, 0, 0], [30, 0, 0]]   // everything classified as class 0
        multiclass.majorityShare = 0.4
        #expect(RunCollapse.judge(multiclass)?.kind == .constantPredictions)
        multiclass.confusion = [[20, 10, 0], [28, 12, 0], [20, 10, 0]]
        multiclass.accuracy = 0.32
        #expect(RunCollapse.judge(multiclass)?.kind == .majorityClass)
        multiclass.confusion = [[25, 5, 0], [5, 35, 0], [0, 0, 30]]
        multiclass.accuracy = 0.9
        #expect(RunCollapse.judge(multiclass) == nil)
    }

    /// SGD with lr 25.6 at batch 1,024 learns nothing (the reference model's large-batch failure, small):
    /// the run exits 0, ends with a warning line, and summary.json records the collapse.
    @Test func aCollapsedRunEndsWithAWarningAndSummaryRecordsIt() throws {
        let dir = try TT.temporaryDirectory("collapse")
        defer { TT.remove(dir) }
        let arguments = ["train", "--config", Self.config, "--quiet", "--out", dir + "/run", "--set", "data.samples=6000",
                         "--set", "batch.global=1024", "--set", "batch.micro=128", "--set", "train.steps=14", "--set", "train.eval_every=0",
                         "--set", "schedule.warmup_steps=1"]
        let collapsed = try CLI.run(arguments + ["--set", "optimizer={type: sgd, lr: 25.6, momentum: 0.9}"], in: dir)
        #expect(collapsed.status == 0, "\(collapsed.stderr)")
        let warning = try #require(collapsed.stderr.split(separator: "\n").last.map(String.init))
        #expect(warning.hasPrefix("warning: the run "), "\(collapsed.stderr)")
        #expect(warning.contains("summary.json records it"))
        let summary = try JSONDecoder().decode(RunSummary.self, from: Data(contentsOf: URL(fileURLWithPath: dir + "/run/summary.json")))
        #expect(summary.collapse != nil)
        // The same run at lr 1.6 learns, and says nothing.
        let healthy = try CLI.run(arguments + ["--overwrite", "--set", "optimizer={type: sgd, lr: 1.6, momentum: 0.9}"], in: dir)
        #expect(healthy.status == 0 && !healthy.stderr.contains("warning"), "\(healthy.stderr)")
        let good = try JSONDecoder().decode(RunSummary.self, from: Data(contentsOf: URL(fileURLWithPath: dir + "/run/summary.json")))
        #expect(good.collapse == nil && (good.validation.auc ?? 0) > 0.75)
    }

    /// A diverged run stops with its error, and its summary.json (no weights) says so.
    @Test func aDivergedRunWritesItsSummary() throws {
        let dir = try TT.temporaryDirectory("diverged")
        defer { TT.remove(dir) }
        let result = try CLI.run(["train", "--config", Self.config, "--quiet", "--out", dir + "/run", "--set", "data.samples=2000",
                                 "--set", "train.steps=20", "--set", "optimizer.lr=1e30"], in: dir)
        #expect(result.status != 0)
        #expect(result.errorLines.first?.hasPrefix("Error: training diverged at step") == true, "\(result.stderr)")
        let summary = try JSONDecoder().decode(RunSummary.self, from: Data(contentsOf: URL(fileURLWithPath: dir + "/run/summary.json")))
        #expect(summary.collapse?.kind == .diverged)
        #expect(!FileManager.default.fileExists(atPath: dir + "/run/model.safetensors"))
    }

    /// Two optimizers over three batches: the table, the JSON, a chart that renders with the measured
    /// points, the verdict lines, and SGD's failures at large batches (lr 3.2 × B/128: at chance at
    /// 1,024 and 4,096) reported as rows with warnings. A diverged run is a row too, not the sweep's end.
    @Test func sweepWritesTableChartAndVerdicts() throws {
        let dir = try TT.temporaryDirectory("sweep")
        defer { TT.remove(dir) }
        let common = ["sweep", "--config", Self.config, "--set", "data.samples=6000", "--set", "batch.micro=128", "--epochs", "3",
                      "--warmup-fraction", "0.05"]
        let arguments = common + ["--batch", "128,1024,4096", "--optimizer", "sgd,lamb", "--out", dir + "/sweep",
                                  "--with", "sgd={type: sgd, lr: 3.2, momentum: 0.9, lr_scaling: {reference_batch: 128}}"]
        let result = try CLI.run(arguments, in: dir)
        #expect(result.status == 0, "\(result.stderr)")
        let csv = try String(contentsOfFile: dir + "/sweep/sweep.csv", encoding: .utf8).split(separator: "\n").map(String.init)
        #expect(csv.first == "optimizer,batch,steps,learning_rate,warmup_steps,auc,train_loss,collapse,params_sha256")
        #expect(csv.count == 7)
        let rows = try csv.dropFirst().map { line -> [String] in
            let cells = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            try #require(cells.count == 9, "\(line)")
            return cells
        }
        // Steps = round(3 × 4,800 / B); SGD's lr scaled linearly, LAMB's preset (given at 256) by the square root.
        #expect(rows.map { $0[2] } == ["113", "14", "4", "113", "14", "4"])
        #expect(rows[1][3] == "25.6" && rows[4][3] == String(format: "%g", 0.0018 * 2))
        // Each row is its run folder's summary.
        for row in rows {
            let summary = try JSONDecoder().decode(RunSummary.self, from: Data(contentsOf: URL(fileURLWithPath: dir + "/sweep/\(row[0])-b\(row[1])/summary.json")))
            #expect(summary.paramsSHA256 == row[8] && (summary.validation.auc.map { String(format: "%.6f", $0) } ?? "") == row[5])
            #expect((summary.collapse?.kind.rawValue ?? "") == row[7])
        }
        #expect(rows.map { $0[7] } == ["", "chance_level", "chance_level", "", "", ""], "\(csv)")
        #expect(result.stderr.contains("warning: sgd at batch 1024: the run is at or below chance level"))
        #expect(result.stdout.contains("sgd: largest batch within 0.005 of B=128's auc"))
        let json = try #require(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/sweep/sweep.json"))) as? [String: Any])
        #expect((json["rows"] as? [Any])?.count == 6 && json["metric"] as? String == "auc")
        let largest = try #require(json["largest_within_tolerance"] as? [String: Int])
        #expect(largest["sgd"] == 128)
        // The chart plots the table's numbers (the collapsed runs too, at their AUC).
        let points = try ScalingBenchmarkTests.points(dir + "/sweep/sweep.svg")
        #expect(Set(points) == Set(rows.compactMap { row in Double(row[5]).map { "\(row[1]) \(String(format: "%.4f", $0))" } }))
        #expect(points.count == 6)
        // Again: every run is reused, nothing retrained, the same table.
        let again = try CLI.run(arguments, in: dir)
        #expect(again.status == 0 && again.stdout.components(separatedBy: "[reused]").count == 7, "\(again.stdout)")
        #expect(try String(contentsOfFile: dir + "/sweep/sweep.csv", encoding: .utf8) == csv.joined(separator: "\n") + "\n")

        let diverging = try CLI.run(common + ["--batch", "1024", "--out", dir + "/diverged", "--set", "optimizer.lr=12.8"], in: dir)
        #expect(diverging.status == 0, "\(diverging.stderr)")
        #expect(diverging.stdout.contains("sgd B=1024 (14 steps, lr 51.2): no value — diverged: training diverged at step"), "\(diverging.stdout)")
        #expect(diverging.stderr.contains("warning: sgd at batch 1024: the run diverged"))
    }

    @Test(.enabled(if: LockstepProcess.mpirunAvailable))
    func sweepRefusesMpirun() throws {
        let outcome = try LockstepProcess.mpirun(ranks: 1, ["sweep", "--config", Self.config, "--batch", "256"])
        #expect(outcome.status != 0)
        #expect(outcome.stderr.contains("lockstep sweep runs in one process: use --ranks N instead of mpirun"), "\(outcome.stderr)")
    }

    @Test func badSweepArgumentsAreOneLineErrors() throws {
        let dir = try TT.temporaryDirectory("sweep-bad")
        defer { TT.remove(dir) }
        for (extra, message) in [(["--batch", "256,abc"], "--batch: 'abc' is not a positive integer"),
                                 (["--batch", "256", "--optimizer", "rmsprop"], "--optimizer rmsprop is not one of"),
                                 (["--batch", "100"], "sgd at batch 100:"),
                                 (["--batch", "256", "--with", "lamb={type: lamb, lr: 1}"], "--with lamb={type: lamb, lr: 1}: give name=yaml for one of the swept optimizers")] {
            let result = try CLI.run(["sweep", "--config", Self.config, "--out", dir + "/s"] + extra, in: dir)
            #expect(result.status != 0)
            #expect(result.errorLines.count == 1 && result.errorLines.first?.contains(message) == true, "\(extra): \(result.stderr)")
        }
    }
}
