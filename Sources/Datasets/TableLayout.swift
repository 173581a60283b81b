/// Where each column of a CSV header goes under `DataOptions`: a numeric or categorical feature slot,
/// the label, or nowhere. Shared by training (`RawTable`) and prediction (`PredictionReader`), so that
/// both read a header by the same rules.
///
/// ```swift
/// let layout = try TableLayout(header: ["id", "age", "sex", "label"], options: options, label: "label", source: path)
/// layout.featureNames   // ["age", "sex"] when options.exclude == ["id"]
/// ```
public struct TableLayout: Sendable, Hashable {
    public let header: [String]
    /// Header index of each feature slot, in model order.
    public let featureColumns: [Int]
    public let featureNames: [String]
    /// Per feature slot: one-hot encoded text rather than a number.
    public let isCategorical: [Bool]
    public let labelColumn: Int?

    public init(header: [String], options: DataOptions, label: String?, source: String) throws(DatasetError) {
        var seen = Set<String>()
        for name in header where !name.isEmpty {
            guard seen.insert(name).inserted else { throw .duplicateColumn(path: source, column: name) }
        }
        self.header = header
        if let label {
            guard let index = header.firstIndex(of: label) else {
                throw .missingLabelColumn(path: source, label: label, available: header)
            }
            labelColumn = index
        } else {
            labelColumn = nil
        }
        for name in options.exclude where !header.contains(name) {
            throw .invalidOptions("\(source):1: excluded column \"\(name)\" is not in the header; the columns are: \(header.prefix(40).joined(separator: ", "))")
        }
        var names: [String]
        if let wanted = options.features {
            guard options.exclude.isEmpty else {
                throw .invalidOptions("\(source): give either a features list or an exclude list, not both")
            }
            names = wanted
            var used = Set<String>()
            for name in wanted {
                guard header.contains(name) else { throw .missingFeatureColumn(path: source, column: name, available: header) }
                guard name != label else { throw .labelUsedAsFeature(path: source, column: name) }
                guard used.insert(name).inserted else { throw .duplicateColumn(path: source, column: name) }
            }
        } else {
            names = []
            for (k, name) in header.enumerated() where k != labelColumn && !options.exclude.contains(name) {
                guard !name.isEmpty else { throw .unnamedColumn(path: source, columnNumber: k + 1) }
                names.append(name)
            }
        }
        for name in options.categorical where !names.contains(name) {
            throw .invalidOptions("\(source): categorical column \"\(name)\" is not one of the features (\(names.prefix(40).joined(separator: ", ")))")
        }
        featureNames = names
        featureColumns = names.map { header.firstIndex(of: $0)! }
        isCategorical = names.map { options.categorical.contains($0) }
    }
}
