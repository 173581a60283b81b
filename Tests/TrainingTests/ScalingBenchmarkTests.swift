import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
import Distributed
import Benchmarks

/// The scaling benchmarks' model and outputs: the Hockney terms of each algorithm, the fit, and the
/// real binary's CSV, JSON, SVG and timeline files (tiny sizes, 2 ranks, threads).
@Suite("Scaling benchmarks")
struct ScalingBenchmarkTests {
    // MARK: Cost model

    @Test func hockneyTermsFollowTheAlgorithms() {
        let n = 1 << 20
        // W = 2, recursive doubling: one round of the whole buffer.
        #expect(HockneyTerms(mode: .deterministic, ranks: 2, bytes: n) == HockneyTerms(messages: 1, bytesSent: Double(n), bytesReduced: Double(n)))
        // W = 4 above the doubling limit: halving + allgather, 2·lg W rounds, 2n(W−1)/W bytes.
        #expect(HockneyTerms(mode: .deterministic, ranks: 4, bytes: n, doublingLimit: 0)
                == HockneyTerms(messages: 4, bytesSent: 1.5 * Double(n), bytesReduced: 0.75 * Double(n)))
        // W = 3, the general path: a pairwise reduce-scatter + allgather above 64 KB, whole buffers below.
        #expect(HockneyTerms(mode: .deterministic, ranks: 3, bytes: 3 << 20)
                == HockneyTerms(messages: 4, bytesSent: 4 * Double(1 << 20), bytesReduced: 2 * Double(1 << 20)))
        #expect(HockneyTerms(mode: .deterministic, ranks: 3, bytes: 4096) == HockneyTerms(messages: 2, bytesSent: 8192, bytesReduced: 8192))
        // The ring: 2(W−1) messages, 2n(W−1)/W bytes.
        #expect(HockneyTerms(mode: .mpi, ranks: 8, bytes: n) == HockneyTerms(messages: 14, bytesSent: 1.75 * Double(n), bytesReduced: 0.875 * Double(n)))
        #expect(HockneyTerms(mode: .mpi, ranks: 1, bytes: n).seconds(alpha: 1, beta: 1, gamma: 1) == 0)
    }

    /// Rows generated from known α, β, γ are fitted back to them, with no error.
    @Test func fitRecoversAlphaAndBeta() throws {
        let (alpha, beta, gamma) = (7e-6, 1 / 2.5e9, 0.1e-9)
        let rows = [2, 4].flatMap { w in
            AllReduceBenchmark.sizes(from: 4096, to: 64 << 20).map { bytes in
                let t = HockneyTerms(mode: .deterministic, ranks: w, bytes: bytes).seconds(alpha: alpha, beta: beta, gamma: gamma)
                return AllReduceRow(mode: .deterministic, ranks: w, bytes: bytes, microseconds: [t * 1e6], reductionNanosecondsPerByte: gamma * 1e9)
            }
        }
        let fit = try HockneyFit(rows: rows)
        #expect(abs(fit.alpha - alpha) / alpha < 1e-6)
        #expect(abs(fit.beta - beta) / beta < 1e-6)
        #expect(fit.maxRelativeError < 1e-6)
        #expect(throws: BenchmarkError.self) { try HockneyFit(rows: Array(rows.prefix(1))) }
    }

    /// With α = β = 0 the projection is the one-rank step at every W; with a network it only grows.
    @Test func projectionAddsTheModelledAllreduce() throws {
        var one = try JSONDecoder().decode(StepBreakdown.self, from: Data("""
            {"stepMilliseconds":10,"forwardMilliseconds":3,"backwardMilliseconds":5,"communicationExposedMilliseconds":0,
             "communicationHiddenMilliseconds":0,"optimizerMilliseconds":1,"otherMilliseconds":1,"gradientBytes":4000000,"statisticsBytes":4}
            """.utf8))
        one.gradientBytes = 4_000_000
        let free = ScalingProjection(oneRank: one, fit: HockneyFit(alpha: 0, beta: 0, gamma: 0, mode: .deterministic))
        #expect(free.stepMilliseconds(nodes: 1024, overlap: false) == 10)
        let fit = HockneyFit(alpha: 5e-6, beta: 1 / 1.25e9, gamma: 0, mode: .deterministic)
        let p = ScalingProjection(oneRank: one, fit: fit)
        // W = 2: one exchange of 4 MB (3.2 ms + 5 µs) and of the 4-byte statistics (5 µs + 3.2 ns).
        #expect(abs(p.stepMilliseconds(nodes: 2, overlap: false) - (10 + 3.205 + 0.0050032)) < 1e-9)
        #expect(p.efficiency(nodes: 8, overlap: false) < p.efficiency(nodes: 2, overlap: false))
        // One bucket: overlap hides nothing (the bucket is final only when backward ends).
        #expect(p.hiddenMilliseconds(nodes: 2, overlap: true) == 0)
        // Buckets of 1 MB then 3 MB, each halving + allgather on the communication thread at W = 2:
        // 2α + b/β, so 0.81 and 2.41 ms. The first hides under backward (5 ms); the last under the
        // first bucket's share of the update (1 ms × 1/4).
        one.bucketBytes = [1_000_000, 3_000_000]
        let bucketed = ScalingProjection(oneRank: one, fit: fit)
        #expect(abs(bucketed.bucketMilliseconds(nodes: 2) - 3.22) < 1e-9)
        #expect(abs(bucketed.hiddenMilliseconds(nodes: 2, overlap: true) - (0.81 + 0.25)) < 1e-9)
        #expect(abs(bucketed.stepMilliseconds(nodes: 2, overlap: true) - (10 + 3.22 + 0.0050032 - 1.06)) < 1e-9)
        // Reversed, the last bucket's share hides under the update of the first three quarters, at most.
        one.bucketBytes = [3_000_000, 1_000_000]
        let reversed = ScalingProjection(oneRank: one, fit: fit)
        #expect(abs(reversed.hiddenMilliseconds(nodes: 2, overlap: true) - (2.41 + 0.75)) < 1e-9)
    }

    // MARK: The binary's outputs

    @Test func allReduceOutputsParseAndChartsPlotTheCSV() throws {
        let d = try TT.temporaryDirectory("bench-allreduce")
        defer { TT.remove(d) }
        let result = try CLI.run(["bench", "allreduce", "--transport", "threads", "--ranks", "2", "--max-bytes", "16384",
                                  "--seconds-per-case", "0.005", "--network", "real", "--network", "100gbit",
                                  "--csv", "a.csv", "--json", "a.json", "--plot-dir", "."], in: d)
        #expect(result.status == 0, "\(result.stderr)")
        let csv = try Self.csv(d + "/a.csv")
        #expect(csv.count == 2 * 2 * 2, "2 networks × 2 sizes × 2 modes")
        #expect(Set(csv.map { $0["mode"]! }) == ["deterministic", "mpi"])
        for row in csv {
            let algbw = Double(row["algbw_GBps"]!)!, busbw = Double(row["busbw_GBps"]!)!
            #expect(abs(busbw - algbw) <= 1e-4 * max(1, algbw), "busbw = algbw · 2(W−1)/W = algbw at W = 2")
            #expect(Double(row["min_us"]!)! <= Double(row["time_us"]!)! && Double(row["time_us"]!)! <= Double(row["max_us"]!)!)
        }
        let report = try JSONDecoder().decode(AllReduceReport.self, from: Data(contentsOf: URL(fileURLWithPath: d + "/a.json")))
        #expect(report.runs.map(\.network) == ["real", "100gbit"])
        #expect(report.fit(mode: .deterministic, network: "100gbit") != nil)
        // Each chart plots exactly the CSV's figures.
        for network in ["real", "100gbit"] {
            let mine = csv.filter { $0["network"] == network }
            let time = try Self.points(d + "/allreduce-time-threads-\(network).svg")
            #expect(time.sorted() == mine.map { "\($0["bytes"]!) \($0["time_us"]!)" }.sorted())
            let bus = try Self.points(d + "/allreduce-busbw-threads-\(network).svg")
            #expect(bus.sorted() == mine.map { "\($0["bytes"]!) \($0["busbw_GBps"]!)" }.sorted())
        }
    }

    @Test func scalingAndProjectionOutputsParseAndChartsPlotTheCSV() throws {
        let d = try TT.temporaryDirectory("bench-scaling")
        defer { TT.remove(d) }
        let model = TT.shippedConfig("clinical-mlp.yaml")
        let scaling = try CLI.run(["bench", "scaling", "--transport", "threads", "--ranks", "1,2", "--model", model,
                                   "--per-rank-batch", "32", "--steps", "2", "--csv", "s.csv", "--json", "s.json", "--plot-dir", "."], in: d)
        #expect(scaling.status == 0, "\(scaling.stderr)")
        let csv = try Self.csv(d + "/s.csv")
        let medians = csv.filter { $0["repetition"] == "median" }
        #expect(medians.map { $0["ranks"]! } == ["1", "2"] && medians.allSatisfy { $0["status"] == "measured" })
        #expect(medians[0]["efficiency"] == "1.0000")
        for row in medians {
            // The parts are measured spans that tile the step: they add up to it.
            let parts = ["compute_ms", "comm_exposed_ms", "comm_hidden_ms", "optimizer_ms", "other_ms"].map { Double(row[$0]!)! }
            #expect(abs(parts.reduce(0, +) - Double(row["step_ms"]!)!) < 0.01)
        }
        // One rank has nothing to reduce: its reduction spans are only the marks' own cost.
        #expect(Double(medians[1]["comm_exposed_ms"]!)! > 0 && Double(medians[0]["comm_exposed_ms"]!)! < 0.05)
        let report = try JSONDecoder().decode(ScalingReport.self, from: Data(contentsOf: URL(fileURLWithPath: d + "/s.json")))
        #expect(report.summary.count == 2)
        let efficiency = try Self.points(d + "/scaling-efficiency-clinical-mlp-weak-real.svg")
        #expect(efficiency == medians.map { "\($0["ranks"]!) \($0["efficiency"]!)" })
        let segments = try Self.segments(d + "/scaling-breakdown-clinical-mlp-weak-real.svg")
        #expect(segments == medians.flatMap { r in ["compute_ms", "comm_exposed_ms", "comm_hidden_ms", "optimizer_ms", "other_ms"].map { r[$0]! } })

        // The projection from a fit of the same transport, compared with the measured points.
        let fit = try CLI.run(["bench", "allreduce", "--transport", "threads", "--max-bytes", "16384", "--seconds-per-case", "0.005",
                               "--json", "a.json"], in: d)
        #expect(fit.status == 0, "\(fit.stderr)")
        let project = try CLI.run(["bench", "project", "--model", model, "--allreduce", "a.json", "--scaling", "s.json",
                                   "--nodes", "1,2,8", "--per-rank-batch", "32", "--steps", "2", "--csv", "p.csv", "--plot-dir", "."], in: d)
        #expect(project.status == 0, "\(project.stderr)")
        let projected = try Self.csv(d + "/p.csv")
        #expect(projected.map { $0["nodes"]! } == ["1", "2", "8"])
        #expect(projected.map { $0["measured_step_ms"]!.isEmpty } == [false, false, true], "W = 1, 2 were measured")
        let efficiencies = projected.map { Double($0["efficiency"]!)! }
        #expect(efficiencies[0] == 1 && efficiencies[2] < efficiencies[1] && efficiencies[1] < 1)
        let chart = try Self.points(d + "/projection-clinical-mlp-deterministic.svg")
        #expect(chart.count == 3 + 3 + 2, "projected, with overlap, measured")
        #expect(Array(chart.prefix(3)) == projected.map { "\($0["nodes"]!) \($0["efficiency"]!)" })
    }

    @Test func timelineIsChromeTraceJSONWithOneProcessPerRankAndNestedSpans() throws {
        let d = try TT.temporaryDirectory("timeline")
        defer { TT.remove(d) }
        try TT.write(TT.referenceYAML(steps: 3, evalEvery: 2, logEvery: 1, checkpointEvery: 2, outputDir: "out"), to: d + "/run.yaml")
        // With overlap and small buckets, so that the communication thread's spans appear too.
        let result = try CLI.run(["train", "--config", "run.yaml", "--ranks", "2", "--quiet", "--timeline", "t.json",
                                  "--set", "distributed.overlap=true", "--set", "distributed.bucket_mb=0.004",
                                  "--set", "distributed.first_bucket_mb=0.001"], in: d)
        #expect(result.status == 0, "\(result.stderr)")
        let trace = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: d + "/t.json"))) as! [String: Any]
        let events = trace["traceEvents"] as! [[String: Any]]
        let spans = events.filter { $0["ph"] as? String == "X" }
        #expect(Set(spans.map { $0["pid"] as! Int }) == [0, 1])
        let names = events.filter { $0["name"] as? String == "process_name" }.map { ($0["args"] as! [String: Any])["name"] as! String }
        #expect(names.sorted() == ["rank 0", "rank 1"])
        for rank in [0, 1] {
            let mine = spans.filter { $0["pid"] as! Int == rank }
            let steps = mine.filter { ($0["name"] as! String).hasPrefix("step ") }
            #expect(steps.count == 3)
            for phase in ["forward", "backward", "reduction", "optimizer"] {
                let inner = mine.filter { $0["name"] as? String == phase }
                #expect(!inner.isEmpty, "rank \(rank) has \(phase) spans")
                // Nested: each lies within the span of its step.
                for span in inner {
                    let step = (span["args"] as! [String: Any])["step"] as! Int
                    let parent = steps.first { ($0["args"] as! [String: Any])["step"] as! Int == step }!
                    let (s, e) = (span["ts"] as! Double, (span["ts"] as! Double) + (span["dur"] as! Double))
                    let (ps, pe) = (parent["ts"] as! Double, (parent["ts"] as! Double) + (parent["dur"] as! Double))
                    #expect(s >= ps - 0.002 && e <= pe + 0.002, "\(phase) of step \(step) outside its step")
                }
            }
        }
        // Per layer: each layer's forward inside a forward span, each parametered layer's backward
        // inside a backward span; bucket reductions on the communication thread's track, inside
        // their step.
        func inside(_ span: [String: Any], _ parents: [[String: Any]]) -> Bool {
            let (s, e) = (span["ts"] as! Double, (span["ts"] as! Double) + (span["dur"] as! Double))
            return parents.contains { p in
                let (ps, pe) = (p["ts"] as! Double, (p["ts"] as! Double) + (p["dur"] as! Double))
                return p["pid"] as! Int == span["pid"] as! Int && s >= ps - 0.002 && e <= pe + 0.002
            }
        }
        for (prefix, parent) in [("forward ", "forward"), ("backward ", "backward")] {
            let layers = spans.filter { ($0["name"] as! String).hasPrefix(prefix) }
            let parents = spans.filter { $0["name"] as? String == parent }
            let names = Set(layers.map { $0["name"] as! String })
            #expect(names.contains(prefix + "layer1 Linear(20 → 64)") && names.contains(prefix + "bn2 BatchNorm1d(32)"), "\(names)")
            if prefix == "forward " { #expect(names.contains("forward 2 ReLU")) }
            for layer in layers { #expect(inside(layer, parents), "\(layer["name"]!) outside its \(parent)") }
        }
        let buckets = spans.filter { $0["name"] as? String == "bucket reduction" }
        #expect(!buckets.isEmpty && buckets.allSatisfy { $0["tid"] as? Int == 1 })
        let stepSpans = spans.filter { ($0["name"] as! String).hasPrefix("step ") }
        for bucket in buckets { #expect(inside(bucket, stepSpans), "a bucket reduction outside its step") }
        #expect(events.contains { $0["name"] as? String == "thread_name" })
        #expect(spans.contains { $0["name"] as? String == "evaluation" && $0["pid"] as? Int == 0 })
        #expect(spans.contains { $0["name"] as? String == "checkpoint" && $0["pid"] as? Int == 0 })
    }

    enum BadBenchInput: String, CaseIterable, Sendable {
        case zeroRanks, duplicateRanks, unknownNetwork, projectionWithoutFit, csvInMissingFolder, timelineInMissingFolder
    }

    @Test("bad input: one error line, non-zero exit, nothing written", arguments: BadBenchInput.allCases)
    func badInput(_ input: BadBenchInput) throws {
        let d = try TT.temporaryDirectory("bench-bad")
        defer { TT.remove(d) }
        try TT.write(TT.referenceYAML(steps: 2, evalEvery: 0, logEvery: 1, outputDir: "out"), to: d + "/run.yaml")
        let (arguments, mention): ([String], String) = switch input {
        case .zeroRanks: (["bench", "scaling", "--ranks", "0,2"], "0 is not a valid rank count")
        case .duplicateRanks: (["bench", "scaling", "--ranks", "1,2,2"], "twice")
        case .unknownNetwork: (["bench", "allreduce", "--network", "fast"], "unknown network 'fast'")
        case .projectionWithoutFit: (["bench", "project", "--model", "clinical-mlp"], "no fitted allreduce model")
        case .csvInMissingFolder: (["bench", "allreduce", "--transport", "threads", "--csv", "missing/a.csv"], "missing")
        case .timelineInMissingFolder: (["train", "--config", "run.yaml", "--timeline", "missing/t.json"], "missing")
        }
        let result = try CLI.run(arguments, in: d)
        #expect(result.exitedNormally && result.status != 0)
        #expect(result.errorLines.count == 1, "\(result.stderr)")
        #expect(result.errorLines.first?.hasPrefix("Error: ") == true && result.errorLines.first?.contains(mention) == true, "\(result.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: d) == ["run.yaml"], "nothing written")
    }

    // MARK: Helpers

    /// CSV rows as header → value.
    static func csv(_ path: String) throws -> [[String: String]] {
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(String.init)
        let header = lines[0].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        return lines.dropFirst().map { line in
            let cells = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            #expect(cells.count == header.count, "\(line)")
            return Dictionary(uniqueKeysWithValues: zip(header, cells))
        }
    }

    /// Parses the SVG (it must be well-formed XML), renders it with rsvg-convert when installed, and
    /// returns its plotted points as "x y" strings.
    static func points(_ path: String) throws -> [String] {
        try elements(path, named: "circle").compactMap { c in c["data-x"].map { "\($0) \(c["data-y"] ?? "?")" } }   // legend markers carry no data
    }

    static func segments(_ path: String) throws -> [String] {
        try elements(path, named: "rect").compactMap { $0["data-value"] }
    }

    static func elements(_ path: String, named name: String) throws -> [[String: String]] {
        let collector = ElementCollector(name: name)
        let parser = XMLParser(data: try Data(contentsOf: URL(fileURLWithPath: path)))
        parser.delegate = collector
        #expect(parser.parse(), "\(path) is not well-formed XML: \(String(describing: parser.parserError))")
        #expect(collector.root == "svg")
        if let rsvg = ["/usr/bin/rsvg-convert", "/usr/local/bin/rsvg-convert"].first(where: FileManager.default.isExecutableFile) {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: rsvg)
            process.arguments = ["--format", "png", "-o", path + ".png", path]
            try process.run()
            process.waitUntilExit()
            #expect(process.terminationStatus == 0, "rsvg-convert could not render \(path)")
            #expect((try? FileManager.default.attributesOfItem(atPath: path + ".png")[.size] as? Int) ?? 0 > 1000)
            try? FileManager.default.removeItem(atPath: path + ".png")
        }
        return collector.found
    }
}

/// Collects the attributes of every element with one name.
private final class ElementCollector: NSObject, XMLParserDelegate {
    let name: String
    var found: [[String: String]] = []
    var root: String?
    init(name: String) { self.name = name }
    func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?, qualifiedName: String?,
                attributes: [String: String] = [:]) {
        if root == nil { root = elementName }
        if elementName == name { found.append(attributes) }
    }
}
