import Foundation
import Testing
@testable import Charts
@testable import Training
import Config

/// Issue 23, item 5: `lockstep plot` (and the curves.svg training draws at its end) on records no run
/// writes — a loss of −1e20 or 1.7e308, a negative step, an AUC of −1e30, numbers beyond a double —
/// and on a million-record log. Before, the tick loop spun forever on such a range, and 1.5 M
/// records made a 273 MB SVG. The time bound is shown by what bounds the work: ticks per axis,
/// points per series, the SVG's size.
@Suite("plot: absurd values and very long logs")
struct PlotRobustnessTests {
    /// A real metrics.jsonl (train records every step, evaluations every 2) of a 6-step run.
    static let realLog: String = {
        let directory = try! TT.temporaryDirectory("plot-seed")
        defer { TT.remove(directory) }
        try! TT.write(TT.referenceYAML(samples: 400, steps: 6, evalEvery: 2, logEvery: 1), to: directory + "/run.yaml")
        let config = try! RunConfig.load(path: directory + "/run.yaml")
        _ = try! TT.quietRun(config, in: directory + "/out").run()
        return try! String(contentsOfFile: directory + "/out/metrics.jsonl", encoding: .utf8)
    }()

    /// `data-x data-y` of every point of `series` in the SVG, in order.
    static func points(_ svg: String, series: String) -> [String] {
        let pattern = try! NSRegularExpression(pattern: #"data-series="([^"]*)" data-x="([^"]*)" data-y="([^"]*)""#)
        return pattern.matches(in: svg, range: NSRange(svg.startIndex..., in: svg)).compactMap { match in
            let field = { (i: Int) in String(svg[Range(match.range(at: i), in: svg)!]) }
            return field(1) == series ? field(2) + " " + field(3) : nil
        }
    }

    /// Grid lines drawn for ticks (one per tick, x and y together).
    static func tickCount(_ svg: String) -> Int { svg.components(separatedBy: #"stroke="gainsboro""#).count - 1 }

    /// A run folder whose metrics.jsonl is `text`.
    static func run(_ text: String, _ label: String) throws -> String {
        let directory = try TT.temporaryDirectory(label)
        try TT.write(text, to: directory + "/metrics.jsonl")
        return directory
    }

    /// `line` (a train or eval record) with the value of `key` replaced by `value`, as written.
    static func replacing(_ key: String, in line: Substring, with value: String) -> String {
        let pattern = try! NSRegularExpression(pattern: "\"\(key)\":[^,}]*")
        return pattern.stringByReplacingMatches(in: String(line), range: NSRange(line.startIndex..., in: line),
                                                withTemplate: "\"\(key)\":\(value)")
    }

    @Test("ticks stay few and finite for any range: ±1e308, −∞, a range narrower than a double's spacing")
    func ticksAreBounded() {
        let ranges: [ClosedRange<Double>] = [-1e20...1.7e308, -Double.greatestFiniteMagnitude...Double.greatestFiniteMagnitude,
                                              -Double.infinity...1, 0...Double.infinity, 1e20...(1e20 + 1), 5...5, -1e30...0.5]
        for range in ranges {
            for scale in [SVGDocument.Scale.linear, .log2, .log10] {
                let ticks = SVGDocument.ticks(.init(label: "", range: range, scale: scale))
                #expect(ticks.count <= SVGDocument.maximumTicks, "\(range) \(scale): \(ticks.count) ticks")
                #expect(ticks.allSatisfy { $0.value.isFinite }, "\(range) \(scale)")
            }
        }
        // The ordinary case is unchanged: about six round numbers.
        #expect(SVGDocument.ticks(.init(label: "", range: 0...1.1)).map(\.label) == ["0", "0.2", "0.4", "0.6", "0.8", "1"])
    }

    @Test("absurd records are left off the chart, the others plotted exactly, and plot ends at once")
    func absurdValuesAreSkipped() throws {
        let lines = Self.realLog.split(separator: "\n")
        let train = lines.filter { $0.contains("\"event\":\"train\"") }, evals = lines.filter { $0.contains("\"event\":\"eval\"") }
        #expect(train.count == 6 && evals.count == 3)
        var text = lines.joined(separator: "\n") + "\n"
        for value in ["-1e20", "1.7e308", "1e999", "-1e999", "-0.5", "3.5e38"] {
            text += Self.replacing("loss", in: train[0], with: value) + "\n"
        }
        text += Self.replacing("step", in: train[1], with: "-7") + "\n"
        text += Self.replacing("step", in: train[1], with: "9223372036854775807") + "\n"   // a huge step draws
        for value in ["-1e30", "1.5", "1e308"] {
            text += Self.replacing("auc", in: evals[0], with: value) + "\n"
        }
        let directory = try Self.run(text, "plot-absurd")
        defer { TT.remove(directory) }
        let name = URL(fileURLWithPath: directory).lastPathComponent

        let loss = try RunCurves.svg(runs: [directory], metric: "loss")
        // Read here on their own, line by line (a line that is not JSON, such as 1e999, is no record).
        struct Line: Decodable { let event: String; let step: Int?; let loss: Double? }
        let expected = text.split(separator: "\n").compactMap { line -> String? in
            guard let record = try? JSONDecoder().decode(Line.self, from: Data(line.utf8)), record.event == "train",
                  let step = record.step, let loss = record.loss,
                  step >= 0, loss >= 0, loss <= Double(Float.greatestFiniteMagnitude) else { return nil }
            return "\(step) \(loss)"
        }
        #expect(Self.points(loss, series: "\(name) train loss") == expected)
        #expect(expected.count == 7)   // the six real ones and the huge step
        #expect(Self.tickCount(loss) <= 2 * SVGDocument.maximumTicks)
        #expect(!loss.lowercased().contains("nan") && !loss.contains("inf"))

        let auc = try RunCurves.svg(runs: [directory], metric: "auc")
        #expect(Self.points(auc, series: "\(name) validation auc").count == 3)

        let plotted = try LockstepProcess.run(["plot", directory, "--output", directory + "/loss.svg"],
                                              in: URL(fileURLWithPath: directory), timeout: 60)
        #expect(!plotted.timedOut && plotted.status == 0, "\(plotted.stderr)")
    }

    /// The issue's case: training draws curves.svg at its end, so a resumed run whose log holds such a
    /// record hung after writing its model (and the watchdog then ended it with status 1).
    @Test("a resumed run whose metrics.jsonl holds absurd records finishes and draws curves.svg")
    func resumedRunWithAbsurdRecordsFinishes() throws {
        let directory = try TT.temporaryDirectory("plot-resume")
        defer { TT.remove(directory) }
        try TT.write(TT.referenceYAML(samples: 400, steps: 4, evalEvery: 2, logEvery: 1, checkpointEvery: 2), to: directory + "/run.yaml")
        let first = try CLI.run(["train", "--config", "run.yaml", "--out", "out", "--quiet"], in: directory)
        #expect(first.status == 0, "\(first.stderr)")
        let log = try String(contentsOfFile: directory + "/out/metrics.jsonl", encoding: .utf8)
        let train = log.split(separator: "\n").first { $0.contains("\"event\":\"train\"") }!
        let eval = log.split(separator: "\n").first { $0.contains("\"event\":\"eval\"") }!
        try TT.write(log + Self.replacing("loss", in: train, with: "-1e20") + "\n" + Self.replacing("loss", in: train, with: "1.7e308") + "\n"
                     + Self.replacing("auc", in: eval, with: "-1e30") + "\n" + Self.replacing("step", in: train, with: "-3") + "\n",
                     to: directory + "/out/metrics.jsonl")
        let resumed = try LockstepProcess.run(["train", "--config", "run.yaml", "--out", "out", "--quiet", "--resume",
                                               "--set", "train.steps=6", "--allow-config-change", "train.steps"],
                                              in: URL(fileURLWithPath: directory), timeout: 90)
        #expect(!resumed.timedOut && resumed.status == 0, "\(resumed.stderr)")
        let curves = try String(contentsOfFile: directory + "/out/curves.svg", encoding: .utf8)
        #expect(Self.points(curves, series: "out train loss").count == 6)
        #expect(Self.tickCount(curves) <= 2 * SVGDocument.maximumTicks)
    }

    @Test("100,000 train records: at most 4 points per pixel column, a small SVG, the envelope kept")
    func manyRecordsAreThinned() throws {
        let template = Self.realLog.split(separator: "\n").first { $0.contains("\"event\":\"train\"") }!
        var text = ""
        text.reserveCapacity(100_000 * (template.count + 8))
        var lowest = (step: 0, loss: Double.infinity), highest = (step: 0, loss: -Double.infinity)
        for step in 1...100_000 {
            let loss = 1 / Double(step) + (step % 1_000 == 0 ? 2 : 0)   // spikes the thinning must keep
            if loss < lowest.loss { lowest = (step, loss) }
            if loss > highest.loss { highest = (step, loss) }
            text += Self.replacing("loss", in: Substring(Self.replacing("step", in: template, with: String(step))), with: String(loss)) + "\n"
        }
        let directory = try Self.run(text, "plot-many")
        defer { TT.remove(directory) }
        let name = URL(fileURLWithPath: directory).lastPathComponent
        let svg = try RunCurves.svg(runs: [directory], metric: "loss")
        let points = Self.points(svg, series: "\(name) train loss")
        let columns = Int(SVGDocument.plot.right - SVGDocument.plot.left)
        #expect(points.count <= LineChart.pointsPerPixelColumn * columns && points.count > columns)
        #expect(svg.utf8.count < 1_000_000, "\(svg.utf8.count) bytes")
        #expect(points.first == "1 1.0" && points.contains("\(lowest.step) \(lowest.loss)") && points.contains("\(highest.step) \(highest.loss)"))
        #expect(points.filter { $0.hasSuffix("000 " + String(2 + 1 / Double(Int($0.split(separator: " ")[0])!))) }.count == 100)
    }
}
