import Foundation
import Testing
import Training

@Suite("predict columns per task: multiclass probabilities and label, regression value")
struct PredictTasksTests {
    @Test("multiclass: prob_<label> per class summing to 1 and the predicted label; the label column is ignored")
    func multiclass() throws {
        let dir = try TT.temporaryDirectory("predict-multiclass")
        defer { TT.remove(dir) }
        let digits = TT.shippedConfig("data/digits.csv")
        let trained = try CLI.run(["train", "--config", TT.shippedConfig("digits-mlp.yaml"), "--set", "train.steps=30",
                                   "--set", "data.path=\(digits)", "--out", "run", "--quiet"], in: dir)
        #expect(trained.status == 0, "\(trained.stderr)")
        let result = try CLI.run(["predict", "--run", "run", "--input", digits, "--output", "preds.csv"], in: dir)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(!result.stderr.contains("ignoring"))   // the label column is not an unknown column
        let lines = try String(contentsOfFile: dir + "/preds.csv", encoding: .utf8).split(separator: "\n")
        #expect(lines.first == Substring((0..<10).map { "prob_\($0)" }.joined(separator: ",") + ",predicted"))
        #expect(lines.count == 1798)
        for line in lines.dropFirst() {
            let cells = line.split(separator: ",")
            let probs = cells.prefix(10).map { Double($0)! }
            #expect(abs(probs.reduce(0, +) - 1) < 1e-5)
            #expect(cells[10] == Substring(String(probs.indices.max { probs[$0] < probs[$1] }!)))
        }
        let best = try CLI.run(["predict", "--run", "run", "--input", digits, "--checkpoint", "best"], in: dir)
        #expect(best.status != 0 && best.errorLines.count == 1 && best.errorLines[0].contains("trained without save_best"))
    }

    @Test("regression: one prediction column; eval reports mse and mae")
    func regression() throws {
        let dir = try TT.temporaryDirectory("predict-regression")
        defer { TT.remove(dir) }
        let rows = (0..<300).map { i -> String in
            let x = Double(i % 37) / 7, z = Double(i % 11) / 3
            return String(format: "%.4f,%.4f,%.4f", x, z, 2 * x - z + 0.5)
        }
        try TT.write((["x,z,y"] + rows).joined(separator: "\n") + "\n", to: dir + "/r.csv")
        try TT.write("""
            seed: 1
            model: {input: 2, layers: [{name: fc, type: linear, out: 1}]}
            data: {source: csv, path: r.csv, label: y}
            loss: mse
            batch: {global: 32, micro: 8}
            optimizer: {type: adam, lr: 0.05}
            train: {steps: 40, eval_every: 20}
            output: {dir: run}

            """, to: dir + "/r.yaml")
        let trained = try CLI.run(["train", "--config", "r.yaml", "--quiet"], in: dir)
        #expect(trained.status == 0, "\(trained.stderr)")
        let predicted = try CLI.run(["predict", "--run", "run", "--input", "r.csv", "--output", "p.csv"], in: dir)
        #expect(predicted.status == 0, "\(predicted.stderr)")
        let lines = try String(contentsOfFile: dir + "/p.csv", encoding: .utf8).split(separator: "\n")
        #expect(lines.first == "prediction" && lines.count == 301 && lines.dropFirst().allSatisfy { Double($0) != nil })
        let evaluated = try CLI.run(["eval", "--run", "run", "--json"], in: dir)
        let object = try #require(JSONSerialization.jsonObject(with: Data(evaluated.stdout.utf8)) as? [String: Any])
        #expect(object["mse"] is Double && object["mae"] is Double && object["accuracy"] == nil)
    }
}
