import Foundation
import Testing
@testable import Charts
@testable import Training

/// Issue 23: 1,200 seeded mutations of a real metrics.jsonl through `RunCurves.svg`, what `lockstep
/// plot` and the end of training draw. The property: a one-line `TrainingError` when nothing is left
/// to draw, or an SVG whose points are exactly the possible records of the file (read here on their
/// own) in file order, with a bounded number of ticks and no NaN or infinity; never a trap (a trap
/// ends the test process) and never a hang (the tick loop is bounded, the test would not end).
@Suite("Fuzz: mutated metrics.jsonl through plot")
struct MetricsFuzzTests {
    static let iterations = 1_200
    static let seed: UInt64 = 0x3E7B_1C5_2026_1206

    static let fragments = ["-1e20", "1.7e308", "1e999", "-1e999", "-1e30", "-0", "0", "1", "null", "NaN", "\"x\"", "-7",
                            "9223372036854775807", "-9223372036854775808", "1e-320", "{", "}", ",", ":", "\"", "\n", "[]", "\u{0}",
                            "\"event\":\"train\"", "\"event\":\"eval\"", "\"loss\":", "\"step\":", "\"auc\":"]

    static func mutate(_ text: String, using random: inout SplitMix64) -> String {
        func pick(_ n: Int) -> Int { n <= 0 ? 0 : Int.random(in: 0..<n, using: &random) }
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        for _ in 0..<(1 + pick(3)) {
            guard !lines.isEmpty else { lines = [""]; continue }
            let i = pick(lines.count)
            var bytes = Array(lines[i].utf8)
            switch pick(8) {
            case 0:                                                                  // a value replaced by a fragment
                let numbers = try! NSRegularExpression(pattern: #":(-?[0-9.eE+-]+|null|"[^"]*")"#)
                let matches = numbers.matches(in: lines[i], range: NSRange(lines[i].startIndex..., in: lines[i]))
                guard !matches.isEmpty, let range = Range(matches[pick(matches.count)].range(at: 1), in: lines[i]) else { continue }
                lines[i].replaceSubrange(range, with: fragments[pick(fragments.count)])
                continue
            case 1: bytes = Array(bytes.prefix(pick(bytes.count + 1)))               // a line cut short
            case 2: if !bytes.isEmpty { bytes[pick(bytes.count)] ^= UInt8(1 + pick(255)) }
            case 3: bytes.insert(contentsOf: Array(fragments[pick(fragments.count)].utf8), at: pick(bytes.count + 1))
            case 4: lines.insert(lines[i], at: pick(lines.count + 1)); continue      // a duplicated record
            case 5: lines.remove(at: i); continue
            case 6:                                                                  // a long log, now and then
                lines.insert(contentsOf: repeatElement(lines[i], count: pick(5) == 0 ? 1 + pick(4_000) : 1 + pick(20)), at: i)
                continue
            default: lines.swapAt(i, pick(lines.count)); continue                   // records out of order
            }
            lines[i] = String(decoding: bytes, as: UTF8.self)
        }
        return lines.joined(separator: "\n")
    }

    /// The (step, value) pairs the chart must show for `metric`, read without `MetricsLog`: records the
    /// log accepts (it skips lines that are not records), with a step ≥ 0 and a possible value.
    static func expected(_ path: String, metric: String) throws -> (train: [String], validation: [String]) {
        var train: [String] = [], validation: [String] = []
        for record in try MetricsLog.read(path) {
            switch record.event {
            case .train(let r) where metric == "loss":
                if let v = r.loss.value, r.step >= 0, v.isFinite, v >= 0, v <= Double(Float.greatestFiniteMagnitude) { train.append("\(r.step) \(v)") }
            case .eval(let r):
                guard let v = r.validation.metric(named: metric), r.step >= 0, v.isFinite, abs(v) <= Double(Float.greatestFiniteMagnitude) else { continue }
                let rate = metric != "loss" && metric != "mse" && metric != "mae"
                if rate ? (0...1).contains(v) : v >= 0 { validation.append("\(r.step) \(v)") }
            default: break
            }
        }
        return (train, validation)
    }

    @Test("1,200 mutated metrics.jsonl files: a one-line error, or a chart of exactly the possible records")
    func mutatedLogs() throws {
        let seedText = PlotRobustnessTests.realLog
        let directory = try TT.temporaryDirectory("metrics-fuzz")
        defer { TT.remove(directory) }
        let name = URL(fileURLWithPath: directory).lastPathComponent
        var random = SplitMix64(seed: Self.seed)
        var drawn = 0, refused = 0, thinned = 0
        for iteration in 0..<Self.iterations {
            let text = Self.mutate(seedText, using: &random)
            try TT.write(text, to: directory + "/metrics.jsonl")
            let metric = ["loss", "auc", "accuracy", "f1"][iteration % 4]
            let svg: String
            do {
                svg = try RunCurves.svg(runs: [directory], metric: metric)
            } catch {
                refused += 1
                #expect(error is TrainingError && !"\(error)".contains("\n"), "iteration \(iteration): \(error)")
                let expected = try Self.expected(directory + "/metrics.jsonl", metric: metric)
                #expect(expected.train.isEmpty && expected.validation.isEmpty, "iteration \(iteration): refused a drawable log")
                continue
            }
            drawn += 1
            let expected = try Self.expected(directory + "/metrics.jsonl", metric: metric)
            let columns = Int(SVGDocument.plot.right - SVGDocument.plot.left)
            for (series, points) in [("\(name) train loss", expected.train), ("\(name) validation \(metric)", expected.validation)] {
                let plotted = PlotRobustnessTests.points(svg, series: series)
                if points.count > LineChart.pointsPerPixelColumn * columns {
                    thinned += 1
                    #expect(plotted.count <= LineChart.pointsPerPixelColumn * columns && Set(plotted).isSubset(of: Set(points)),
                            "iteration \(iteration): \(series)")
                } else {
                    #expect(plotted == points, "iteration \(iteration): \(series)")
                }
            }
            #expect(PlotRobustnessTests.tickCount(svg) <= 2 * SVGDocument.maximumTicks, "iteration \(iteration)")
            #expect(!svg.contains("nan") && !svg.contains("inf") && svg.hasSuffix("</svg>\n"), "iteration \(iteration)")
            #expect(svg.utf8.count < 2_000_000, "iteration \(iteration): \(svg.utf8.count) bytes")
        }
        #expect(drawn > 0 && refused > 0)
        print("metrics.jsonl fuzz: \(Self.iterations) mutations, \(drawn) drawn (\(thinned) series thinned), \(refused) refused")
    }
}
