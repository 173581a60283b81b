import Foundation
import Testing
@testable import Training

/// Issue 23: the same 1,200-odd seeded mutations of a real metrics.jsonl through what `--resume` does
/// with it — `MetricsLog.cutBack(toStep:)` (keep what the resumed step stands behind) and
/// `MetricsLog.segments` (the summary's history). The property: no trap, a one-line error or a file
/// holding exactly the original file's records with a step at most the resumed one (and every
/// segment record), line for line in order; cutting back again changes nothing.
@Suite("Fuzz: mutated metrics.jsonl through resume")
struct MetricsResumeFuzzTests {
    @Test("1,200 mutated metrics.jsonl files cut back at a resumed step: exactly the records it stands behind")
    func mutatedLogsCutBack() throws {
        let directory = try TT.temporaryDirectory("metrics-resume-fuzz")
        defer { TT.remove(directory) }
        let path = directory + "/metrics.jsonl"
        var random = SplitMix64(seed: MetricsFuzzTests.seed ^ 0x5E5E)
        var cut = 0, refused = 0
        for iteration in 0..<MetricsFuzzTests.iterations {
            let text = MetricsFuzzTests.mutate(PlotRobustnessTests.realLog, using: &random)
            try TT.write(text, to: path)
            let step = [0, 1, 7, 50, 1_000, Int.max][iteration % 6]
            // What must stay: lines that decode as records with no step or a step ≤ `step`, as written.
            let decoder = JSONDecoder()
            let expected = text.split(separator: "\n").filter { line in
                guard let record = try? decoder.decode(MetricsRecord.self, from: Data(line.utf8)) else { return false }
                return (record.step ?? step) <= step
            }.map(String.init)
            do {
                try MetricsLog.cutBack(path, toStep: step)
            } catch {
                #expect(!"\(error)".contains("\n"), "iteration \(iteration): not one line: \(error)")
                refused += 1
                continue
            }
            let kept = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(String.init)
            #expect(kept == expected, "iteration \(iteration): kept \(kept.count) lines, expected \(expected.count)")
            try MetricsLog.cutBack(path, toStep: step)
            #expect(try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(String.init) == kept,
                    "iteration \(iteration): a second cut changed the file")
            _ = MetricsLog.segments(path)
            cut += 1
        }
        print("metrics.jsonl resume fuzz: \(MetricsFuzzTests.iterations) files, \(cut) cut back, \(refused) refused")
        #expect(cut > MetricsFuzzTests.iterations / 2)
    }
}
