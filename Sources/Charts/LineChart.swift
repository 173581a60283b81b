import Foundation

/// A line chart of several series, each point drawn as a marker that carries its figures as text
/// (`data-x`, `data-y`: the same strings as the CSV of the same run), so a test can check that the
/// chart plots exactly the measured numbers.
///
/// ```swift
/// var chart = LineChart(title: "Weak scaling", xLabel: "ranks", yLabel: "efficiency T₁/T_W")
/// chart.series.append(.init(name: "measured", points: [(1, "1", 1.0, "1.000"), (2, "2", 0.91, "0.910")]))
/// let svg = chart.svg()
/// ```
public struct LineChart {
    public struct Series {
        public var name: String
        /// Values and their printed forms (as in the CSV).
        public var points: [(x: Double, xText: String, y: Double, yText: String)]
        public var dashed = false
        /// Markers without a line (measured points among projected curves).
        public var markersOnly = false
        /// An index into the palette (default: the series' position), so related series can share a colour.
        public var colorIndex: Int?
        public init(name: String, points: [(x: Double, xText: String, y: Double, yText: String)], dashed: Bool = false,
                    markersOnly: Bool = false, colorIndex: Int? = nil) {
            self.name = name
            self.points = points
            self.dashed = dashed
            self.markersOnly = markersOnly
            self.colorIndex = colorIndex
        }
    }

    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var series: [Series] = []
    public var xLog = false
    public var yLog = false
    /// Label x ticks as byte sizes (4K, 1M) rather than plain numbers.
    public var xBytes = false
    /// Lower y bound (nil: from the data, or 0 on a linear axis).
    public var yMinimum: Double?
    public var yMaximum: Double?

    public init(title: String, xLabel: String, yLabel: String, xLog: Bool = false, yLog: Bool = false) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.xLog = xLog
        self.yLog = yLog
    }

    /// A series with more points than this is thinned to the plot's pixel columns (`PixelThinning`).
    public static let pointsPerPixelColumn = 4

    /// The chart. Points whose x or y is not finite are left out (there is no place for them on an
    /// axis); a series of more than `pointsPerPixelColumn` points per pixel column of the plot keeps,
    /// per column, its first, last, lowest and highest points, so that 1.5 million records draw the
    /// same picture as all of them would, in a file of a few hundred kilobytes.
    public func svg() -> String {
        let series = self.series.map { s in
            var s = s
            s.points = s.points.filter { $0.x.isFinite && $0.y.isFinite && (!xLog || $0.x > 0) && (!yLog || $0.y > 0) }
            return s
        }
        let xs = series.flatMap { $0.points.map(\.x) }, ys = series.flatMap { $0.points.map(\.y) }
        let xRange = (xs.min() ?? 1)...Self.finite(max(xs.max() ?? 2, (xs.min() ?? 1) * (xLog ? 2 : 1) + (xLog ? 0 : 1)))
        let yLow = yMinimum ?? (yLog ? pow(10, floor(log10(max(ys.min() ?? 1, 1e-12)))) : min(0, ys.min() ?? 0))
        let yHigh = Self.finite(yMaximum ?? (yLog ? pow(10, ceil(log10(max(ys.max() ?? 10, 1e-12)))) : (ys.max() ?? 1) * 1.1))
        var doc = SVGDocument(title: title,
                              xAxis: .init(label: xLabel, range: xRange, scale: xLog ? .log2 : .linear, bytes: xBytes),
                              yAxis: .init(label: yLabel, range: yLow...Self.finite(max(yHigh, yLow + 1e-9)), scale: yLog ? .log10 : .linear))
        var legend: [SVGDocument.LegendItem] = []
        for (i, s) in series.enumerated() {
            let color = SVGDocument.palette[(s.colorIndex ?? i) % SVGDocument.palette.count]
            legend.append(.init(name: s.name, color: color, dashed: s.dashed, marker: s.markersOnly))
            let columns = Int(SVGDocument.plot.right - SVGDocument.plot.left)
            let points = s.points.count > Self.pointsPerPixelColumn * columns
                ? PixelThinning.kept(s.points.map { (x: doc.x($0.x), y: $0.y) }, columns: columns, left: SVGDocument.plot.left).map { s.points[$0] }
                : s.points
            let path = points.map { "\(SVGDocument.n(doc.x($0.x))),\(SVGDocument.n(doc.y($0.y)))" }.joined(separator: " ")
            if !s.markersOnly {
                doc.add(#"<polyline points="\#(path)" fill="none" stroke="\#(color)" stroke-width="2"\#(s.dashed ? #" stroke-dasharray="6 4""# : "")/>"#)
            }
            let radius = s.markersOnly ? "6" : "3.5"
            for p in points {
                doc.add(#"<circle class="point" cx="\#(SVGDocument.n(doc.x(p.x)))" cy="\#(SVGDocument.n(doc.y(p.y)))" r="\#(radius)" fill="\#(s.markersOnly ? "none" : color)" stroke="\#(color)" stroke-width="2" data-series="\#(SVGDocument.escape(s.name))" data-x="\#(p.xText)" data-y="\#(p.yText)"/>"#)
            }
        }
        return doc.finished(legend: legend)
    }

    /// `v`, or the largest finite double of its sign: 1.7e308 × 1.1 must stay an axis end.
    private static func finite(_ v: Double) -> Double {
        v.isFinite ? v : (v < 0 ? -Double.greatestFiniteMagnitude : Double.greatestFiniteMagnitude)
    }
}

/// Stacked bars, one per category (e.g. a world size), one layer per part (e.g. a step phase); each
/// segment carries its figure as `data-value` (the CSV's string).
///
/// ```swift
/// var chart = StackedBarChart(title: "Step time", xLabel: "ranks", yLabel: "ms per step", categories: ["1", "2"])
/// chart.layers.append(.init(name: "compute", values: [(40, "40.00"), (41, "41.00")]))
/// ```
public struct StackedBarChart {
    public struct Layer {
        public var name: String
        public var values: [(value: Double, text: String)]
        public init(name: String, values: [(value: Double, text: String)]) {
            self.name = name
            self.values = values
        }
    }

    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var categories: [String]
    public var layers: [Layer] = []

    public init(title: String, xLabel: String, yLabel: String, categories: [String]) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.categories = categories
    }

    public func svg() -> String {
        let totals = categories.indices.map { c in layers.reduce(0) { $0 + max(0, $1.values[c].value) } }
        let count = Double(max(categories.count, 1))
        let ticks = categories.enumerated().map { (Double($0.offset) + 0.5, $0.element) }
        var doc = SVGDocument(title: title,
                              xAxis: .init(label: xLabel, range: 0...count, ticks: ticks),
                              yAxis: .init(label: yLabel, range: 0...max((totals.max() ?? 1) * 1.1, 1e-9)))
        let legend = layers.enumerated().map { l, layer in
            SVGDocument.LegendItem(name: layer.name, color: SVGDocument.palette[l % SVGDocument.palette.count])
        }
        for c in categories.indices {
            var base = 0.0
            let left = doc.x(Double(c) + 0.2), right = doc.x(Double(c) + 0.8)
            for (l, layer) in layers.enumerated() {
                let v = max(0, layer.values[c].value)
                let top = doc.y(base + v), bottom = doc.y(base)
                doc.add(#"<rect class="segment" x="\#(SVGDocument.n(left))" y="\#(SVGDocument.n(top))" width="\#(SVGDocument.n(right - left))" height="\#(SVGDocument.n(bottom - top))" fill="\#(SVGDocument.palette[l % SVGDocument.palette.count])" data-category="\#(SVGDocument.escape(categories[c]))" data-layer="\#(SVGDocument.escape(layer.name))" data-value="\#(layer.values[c].text)"/>"#)
                base += v
            }
        }
        return doc.finished(legend: legend)
    }
}
