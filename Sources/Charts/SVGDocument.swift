import Foundation

/// The shared frame of the benchmark charts: an 800 × 480 SVG with a title, a plot area, axes with
/// ticks and unit labels, and a legend. Linear or log₁₀/log₂ axes map values to pixels.
///
/// ```swift
/// var doc = SVGDocument(title: "busbw", xAxis: .init(label: "message size (bytes)", range: 4096...67108864, scale: .log2),
///                       yAxis: .init(label: "GB/s", range: 0...10))
/// doc.add("<circle …/>")
/// let text = doc.finished(legend: [.init(name: "deterministic", color: "#1f77b4")])
/// ```
struct SVGDocument {
    enum Scale { case linear, log2, log10 }

    struct Axis {
        var label: String
        var range: ClosedRange<Double>
        var scale: Scale = .linear
        /// Tick positions and labels; computed from the range when nil.
        var ticks: [(value: Double, label: String)]? = nil
        /// Computed tick labels as byte sizes (4K, 1M).
        var bytes = false
    }

    struct LegendItem {
        var name: String
        var color: String
        var dashed = false
        /// A hollow marker instead of a line.
        var marker = false
    }

    static let width = 800.0, height = 480.0
    static let plot = (left: 90.0, right: 560.0, top: 50.0, bottom: 410.0)
    static let palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#17becf", "#7f7f7f"]

    let title: String
    let xAxis: Axis
    let yAxis: Axis
    private var body: [String] = []

    init(title: String, xAxis: Axis, yAxis: Axis) {
        self.title = title
        self.xAxis = xAxis
        self.yAxis = yAxis
    }

    mutating func add(_ element: String) { body.append(element) }

    func x(_ value: Double) -> Double {
        Self.plot.left + fraction(value, xAxis) * (Self.plot.right - Self.plot.left)
    }

    func y(_ value: Double) -> Double {
        Self.plot.bottom - fraction(value, yAxis) * (Self.plot.bottom - Self.plot.top)
    }

    private func fraction(_ value: Double, _ axis: Axis) -> Double {
        let t: (Double) -> Double
        switch axis.scale {
        case .linear: t = { $0 }
        case .log2: t = { log2(max($0, 1e-300)) }
        case .log10: t = { log10(max($0, 1e-300)) }
        }
        // Halves, so that a range from -1e308 to 1e308 does not overflow to infinity (and NaN).
        let lo = t(axis.range.lowerBound) / 2, hi = t(axis.range.upperBound) / 2
        let f = hi > lo ? (t(value) / 2 - lo) / (hi - lo) : 0.5
        return f.isFinite ? f : 0.5
    }

    /// The SVG text: frame, axes, ticks, labels, the added elements, then the legend.
    func finished(legend: [LegendItem]) -> String {
        let p = Self.plot
        var out = [
            #"<?xml version="1.0" encoding="UTF-8"?>"#,
            #"<svg xmlns="http://www.w3.org/2000/svg" width="\#(Int(Self.width))" height="\#(Int(Self.height))" viewBox="0 0 \#(Int(Self.width)) \#(Int(Self.height))" font-family="DejaVu Sans, Helvetica, Arial, sans-serif" font-size="13">"#,
            #"<rect width="100%" height="100%" fill="white"/>"#,
            #"<text x="\#(Self.width / 2)" y="28" text-anchor="middle" font-size="16" font-weight="bold">\#(Self.escape(title))</text>"#,
        ]
        for tick in xAxis.ticks ?? Self.ticks(xAxis) where xAxis.range.contains(tick.value) {
            let px = Self.n(x(tick.value))
            out.append(#"<line x1="\#(px)" y1="\#(p.top)" x2="\#(px)" y2="\#(p.bottom)" stroke="gainsboro"/>"#)
            out.append(#"<text x="\#(px)" y="\#(p.bottom + 18)" text-anchor="middle">\#(Self.escape(tick.label))</text>"#)
        }
        for tick in yAxis.ticks ?? Self.ticks(yAxis) where yAxis.range.contains(tick.value) {
            let py = Self.n(y(tick.value))
            out.append(#"<line x1="\#(p.left)" y1="\#(py)" x2="\#(p.right)" y2="\#(py)" stroke="gainsboro"/>"#)
            out.append(#"<text x="\#(p.left - 6)" y="\#(Self.n(y(tick.value) + 4))" text-anchor="end">\#(Self.escape(tick.label))</text>"#)
        }
        out.append(#"<rect x="\#(p.left)" y="\#(p.top)" width="\#(p.right - p.left)" height="\#(p.bottom - p.top)" fill="none" stroke="black"/>"#)
        out.append(#"<text x="\#((p.left + p.right) / 2)" y="\#(p.bottom + 42)" text-anchor="middle">\#(Self.escape(xAxis.label))</text>"#)
        out.append(#"<text transform="translate(24 \#((p.top + p.bottom) / 2)) rotate(-90)" text-anchor="middle">\#(Self.escape(yAxis.label))</text>"#)
        out += body
        for (i, item) in legend.enumerated() {
            let ly = p.top + 10 + Double(i) * 20
            if item.marker {
                out.append(#"<circle cx="\#(p.right + 30)" cy="\#(ly)" r="6" fill="none" stroke="\#(item.color)" stroke-width="2"/>"#)
            } else {
                out.append(#"<line x1="\#(p.right + 15)" y1="\#(ly)" x2="\#(p.right + 45)" y2="\#(ly)" stroke="\#(item.color)" stroke-width="3"\#(item.dashed ? #" stroke-dasharray="6 4""# : "")/>"#)
            }
            out.append(#"<text x="\#(p.right + 52)" y="\#(ly + 4)" font-size="12">\#(Self.escape(item.name))</text>"#)
        }
        out.append("</svg>")
        return out.joined(separator: "\n") + "\n"
    }

    /// The most ticks an axis gets, whatever its range.
    static let maximumTicks = 12

    /// Ticks for an axis: powers of the log base, or about six round numbers. Never more than
    /// `maximumTicks`, and none for a range that is not finite: a range from -1e20 to 1.7e308, or one
    /// narrower than the spacing of doubles at its magnitude, must not make the loop below spin.
    static func ticks(_ axis: Axis) -> [(value: Double, label: String)] {
        let lo = axis.range.lowerBound, hi = axis.range.upperBound
        guard lo.isFinite, hi.isFinite else { return [] }
        let name: (Double) -> String = { axis.bytes ? label($0) : plain($0) }
        switch axis.scale {
        case .log2, .log10:
            guard hi > 0 else { return [] }
            let base = axis.scale == .log2 ? 2.0 : 10.0
            var v = pow(base, floor(log(max(lo, 1e-300)) / log(base)))
            var out: [(Double, String)] = []
            // At most ~2,100 powers of two between 1e-300 and 1.8e308: bounded.
            while v <= hi * 1.0001 && v.isFinite && out.count < 2_100 { out.append((v, name(v))); v *= base }
            // At most ~9 labels across 470 px: every other power when there are more (every k-th beyond 18).
            guard out.count > 9 else { return out }
            let k = max(2, (out.count + 8) / 9)
            return out.enumerated().filter { $0.offset % k == 0 }.map(\.element)
        case .linear:
            let raw = hi / 6 - lo / 6   // not (hi - lo) / 6, which overflows for the widest ranges
            guard raw > 0 else { return [(lo, name(lo))] }
            let magnitude = pow(10, floor(log10(raw)))
            let step = [1.0, 2, 2.5, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? raw
            let first = ceil(lo / step) * step
            // A step below the spacing of doubles here adds nothing: the ends are the ticks then.
            guard step.isFinite, first.isFinite, step > 4 * max(abs(lo), abs(hi)).ulp else { return [(lo, name(lo)), (hi, name(hi))] }
            var out: [(Double, String)] = []
            for i in 0..<maximumTicks {
                let v = first + Double(i) * step
                guard v <= hi + step * 1e-9, v.isFinite else { break }
                out.append((v, name(v)))
            }
            return out
        }
    }

    /// 4096 → "4K", 67108864 → "64M", 0.25 → "0.25".
    static func label(_ v: Double) -> String {
        if v >= 1_048_576, v.truncatingRemainder(dividingBy: Double(1 << 20)) == 0 { return "\(Int(v) >> 20)M" }
        if v >= 1024, v.truncatingRemainder(dividingBy: Double(1 << 10)) == 0 { return "\(Int(v) >> 10)K" }
        if v == v.rounded() { return String(Int(v)) }
        return String(format: "%g", v)
    }

    /// 1024 → "1024", 0.25 → "0.25".
    static func plain(_ v: Double) -> String {
        v == v.rounded() && abs(v) < 1e15 ? String(Int(v)) : String(format: "%g", v)
    }

    static func n(_ v: Double) -> String { String(format: "%.1f", v) }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
