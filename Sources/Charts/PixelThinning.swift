/// Which points of a long series to draw: per pixel column, the first, the last, the lowest and the
/// highest (in the order they come). A line through them looks the same as one through every point —
/// within a column, the line only runs between the column's extremes and joins its neighbours at its
/// ends — so a chart of 1.5 million training records needs a few thousand points, not a circle and a
/// polyline vertex per record (a 273 MB SVG before this).
///
/// ```swift
/// let kept = PixelThinning.kept([(90.0, 1.0), (90.2, 3.0), (90.4, 2.0), (91.0, 0.5)], columns: 470, left: 90)
/// // [0, 1, 2, 3]: every point is some column's first, last, lowest or highest
/// ```
enum PixelThinning {
    /// Indices into `points` (x in pixels, y in data units), ascending. Columns are one pixel wide from
    /// `left`; x outside the `columns` is clamped to the nearest one.
    static func kept(_ points: [(x: Double, y: Double)], columns: Int, left: Double) -> [Int] {
        struct Column { var first: Int, last: Int, lowest: Int, highest: Int }
        var byColumn = [Column?](repeating: nil, count: max(columns, 1))
        for (i, p) in points.enumerated() {
            let c = Int(min(max((p.x - left).rounded(.down), 0), Double(byColumn.count - 1)))
            guard var column = byColumn[c] else {
                byColumn[c] = Column(first: i, last: i, lowest: i, highest: i)
                continue
            }
            column.last = i
            if p.y < points[column.lowest].y { column.lowest = i }
            if p.y > points[column.highest].y { column.highest = i }
            byColumn[c] = column
        }
        var kept = Set<Int>()
        for column in byColumn.compactMap({ $0 }) {
            kept.formUnion([column.first, column.last, column.lowest, column.highest])
        }
        return kept.sorted()
    }
}
