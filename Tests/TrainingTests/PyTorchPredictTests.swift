import Foundation
import Testing
import Training

@Suite("the whole life of a model: train on a messy CSV, predict new rows, same numbers in PyTorch")
struct PyTorchPredictTests {
    @Test("lockstep predict equals docs/examples/predict_with_pytorch.py on the same weights (≤ 1e-6)",
          .enabled(if: PythonTools.hasTorch, "python3 with torch, numpy and PyYAML is not available (the test does not install torch)"))
    func predictionsMatchPyTorch() throws {
        let dir = try TT.temporaryDirectory("pytorch-predict")
        defer { TT.remove(dir) }
        // Training data: an id column, free text, categorical sex and site, empty cells in age, bmi and sex.
        let (_, _, out) = try PatientsCSV.train(in: dir, steps: 80)
        // Held-out rows without labels, with their own empty cells.
        let input = dir + "/held-out.csv"
        try TT.write(PatientsCSV.file(7000, 200, withLabel: false), to: input)
        let swiftOutput = dir + "/lockstep.csv", torchOutput = dir + "/torch.csv"
        let predicted = try CLI.run(["predict", "--run", out, "--input", input, "--output", swiftOutput, "--id-column", "patient_id"], in: dir)
        #expect(predicted.status == 0, "\(predicted.stderr)")
        let script = TT.repositoryRoot.appendingPathComponent("docs/examples/predict_with_pytorch.py").path
        let python = try #require(PythonTools.run([script, out, input, torchOutput, "--id-column", "patient_id"]))
        #expect(python.status == 0, "\(python.stderr)")

        let ours = try String(contentsOfFile: swiftOutput, encoding: .utf8).split(separator: "\n")
        let theirs = try String(contentsOfFile: torchOutput, encoding: .utf8).split(separator: "\n")
        #expect(ours.first == "patient_id,logit,prob" && theirs.first == ours.first)
        #expect(ours.count == 201 && theirs.count == ours.count)
        var worstLogit = 0.0, worstProb = 0.0
        for (a, b) in zip(ours.dropFirst(), theirs.dropFirst()) {
            let x = a.split(separator: ","), y = b.split(separator: ",")
            #expect(x[0] == y[0])
            worstLogit = max(worstLogit, abs(Double(x[1])! - Double(y[1])!))
            worstProb = max(worstProb, abs(Double(x[2])! - Double(y[2])!))
        }
        #expect(worstLogit <= 1e-6, "largest logit difference \(worstLogit)")
        #expect(worstProb <= 1e-6, "largest probability difference \(worstProb)")
    }
}
