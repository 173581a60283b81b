import Foundation
import Testing
import Training

/// Curves people can look at (issue 10): training writes `OUT/curves.svg`, and `lockstep plot` draws
/// several runs on one chart; the SVGs are well-formed, render (rsvg-convert, when installed) and
/// plot exactly the figures of metrics.jsonl.
@Suite("plot and curves.svg")
struct PlotTests {
    /// The training losses as the file holds them, read on their own (not through `MetricsLog`).
    /// With `JSONDecoder`: `JSONSerialization` on Linux returns some of these numbers off in the last
    /// digit (0.5333110094070435 as 0.5333110094070437).
    static func trainLosses(_ run: String) throws -> [String] {
        struct Line: Decodable { let event: String; let step: Int?; let loss: Double? }
        let text = try String(contentsOfFile: run + "/metrics.jsonl", encoding: .utf8)
        return try text.split(separator: "\n").compactMap { line -> String? in
            let record = try JSONDecoder().decode(Line.self, from: Data(line.utf8))
            guard record.event == "train", let step = record.step, let loss = record.loss else { return nil }
            return "\(step) \(loss)"
        }
    }

    @Test("training writes curves.svg; plot draws two runs; the points are metrics.jsonl's")
    func curves() throws {
        let directory = try CLITests.workspace("plot")
        defer { TT.remove(directory) }
        for (run, seed) in [("a", "1"), ("b", "2")] {
            let result = try CLI.run(["train", "--config", "run.yaml", "--out", run, "--quiet", "--set", "seed=\(seed)",
                                      "--set", "train.steps=6", "--set", "train.eval_every=2"], in: directory)
            #expect(result.status == 0, "\(result.stderr)")
        }
        let own = try ScalingBenchmarkTests.elements(directory + "/a/curves.svg", named: "circle")
            .filter { $0["data-series"] == "a train loss" }.map { "\($0["data-x"] ?? "") \($0["data-y"] ?? "")" }
        #expect(own == (try Self.trainLosses(directory + "/a")))
        #expect(own.count == 6)

        let plot = try CLI.run(["plot", "a", "b", "--metric", "auc", "--output", "auc.svg"], in: directory)
        #expect(plot.status == 0, "\(plot.stderr)")
        let series = Set(try ScalingBenchmarkTests.elements(directory + "/auc.svg", named: "circle").compactMap { $0["data-series"] })
        #expect(series == ["a validation auc", "b validation auc"])
    }

    @Test("plot: a folder that is not a run, an unknown metric, a missing output folder: one line, no file")
    func badInput() throws {
        let directory = try CLITests.workspace("plot-bad")
        defer { TT.remove(directory) }
        for arguments in [["plot", "nowhere", "--output", "x.svg"],
                          ["plot", ".", "--metric", "bogus", "--output", "x.svg"],
                          ["plot", ".", "--output", "missing/x.svg"]] {
            let result = try CLI.run(arguments, in: directory)
            #expect(result.exitedNormally && result.status != 0, "\(arguments)")
            #expect(result.errorLines.count == 1, "\(arguments): \(result.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: directory + "/x.svg"))
    }
}
