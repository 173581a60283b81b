extension Preprocessing {
    /// The policies `missing` may name.
    public static let missingPolicies = ["error", "mean", "median", "constant"]

    /// Refuses, in one line naming `source` and the column or key, a preprocessing that cannot be
    /// applied as it stands. `encodeRow` writes each column's inputs where the one before ended and
    /// divides by `scale`; the reader looks columns and categories up by name. So a saved file is
    /// checked for everything those steps take on trust: `encoded_features` exactly the inputs the
    /// columns give (widths summing to the model's inputs), column names and categories that are
    /// unique and present, finite means and imputation values, scales that are positive normal
    /// numbers, a missing-value policy that is one of `missingPolicies` and agrees with the
    /// imputation values, and class labels that fit the task, each unique and on one line.
    ///
    /// ```swift
    /// let saved = try JSONDecoder().decode(Preprocessing.self, from: bytes)
    /// try saved.check(source: "runs/x/preprocessing.json")
    /// ```
    public func check(source: String) throws(DatasetError) {
        func refuse(_ reason: String) -> DatasetError { .invalidPreprocessing(path: source, reason: reason) }
        guard format == Self.currentFormat else {
            throw refuse("format \"\(Self.clip(format))\" is not the supported \"\(Self.currentFormat)\"")
        }
        guard !columns.isEmpty else { throw refuse("no columns: the model's inputs come from none") }
        guard Self.missingPolicies.contains(missing) else {
            throw refuse("missing \"\(Self.clip(missing))\" is not one of \(Self.missingPolicies.joined(separator: ", "))")
        }
        var seen: [String: Int] = [:]
        for (index, column) in columns.enumerated() {
            let at = "columns[\(index)] (\"\(Self.clip(column.name))\")"
            guard !column.name.isEmpty else { throw refuse("columns[\(index)] has no name") }
            if let first = seen.updateValue(index, forKey: column.name) {
                throw refuse("\(at) has the name of columns[\(first)]: every input column is read by its name")
            }
            if column.name == labelColumn { throw refuse("\(at) is also the label column") }
            if let reason = Self.problem(of: column, missing: missing) { throw refuse("\(at): \(reason)") }
        }
        if let reason = labelProblem { throw refuse(reason) }
        let expected = Self.encodedNames(of: columns)
        guard encodedFeatures == expected else {
            guard encodedFeatures.count == expected.count else {
                throw refuse("encoded_features lists \(encodedFeatures.count) inputs but the columns encode to \(expected.count)")
            }
            let i = encodedFeatures.indices.first { encodedFeatures[$0] != expected[$0] } ?? 0
            throw refuse("encoded_features[\(i)] is \"\(Self.clip(encodedFeatures[i]))\" but the columns encode input \(i) as \"\(Self.clip(expected[i]))\"")
        }
    }

    /// What makes one column unusable, or nil.
    private static func problem(of column: Column, missing: String) -> String? {
        switch column.kind {
        case .numeric:
            if column.categories != nil { return "a numeric column has categories" }
            guard column.mean.isFinite else { return "mean \(column.mean) is not finite" }
            // A subnormal divisor has lost its precision and turns ordinary values into infinities.
            guard column.scale.isFinite, column.scale >= Float.leastNormalMagnitude else {
                return "scale \(column.scale) is not a positive normal number (standardisation divides by it)"
            }
            switch (column.impute, missing == "error") {
            case (let value?, false) where !value.isFinite: return "impute \(value) is not finite"
            case (_?, true): return "an imputation value, but missing is \"error\" (empty cells are refused)"
            case (nil, false): return "no imputation value, but missing is \"\(missing)\""
            default: return nil
            }
        case .categorical:
            guard let categories = column.categories, !categories.isEmpty else { return "a categorical column without categories" }
            var seen = Set<String>()
            if let repeated = categories.first(where: { !seen.insert($0).inserted }) {
                return "category \"\(clip(repeated))\" appears more than once"
            }
            if column.missingIndicator { return "a categorical column with a missing indicator (an empty cell is all zeros)" }
            if column.impute != nil { return "a categorical column with an imputation value" }
            return nil
        }
    }

    /// Whether `classes` and `class_labels` fit the task: two labels for binary, `classes` labels for
    /// multiclass, none for regression; each label non-empty, unique and free of control characters
    /// (they become CSV header cells and cells of `predict`'s output).
    private var labelProblem: String? {
        let count: Int
        switch task {
        case .binary, .regression:
            if let classes { return "classes \(classes) is given for a \(task.rawValue) task" }
            count = task == .binary ? 2 : 0
        case .multiclass:
            guard let classes, classes >= 1 else { return "a multiclass task needs classes ≥ 1, got \(classes.map(String.init) ?? "none")" }
            count = classes
        }
        guard classLabels.count == count else {
            return "class_labels has \(classLabels.count) labels; a \(task.rawValue) task\(task == .multiclass ? " of \(count) classes" : "") has \(count)"
        }
        var seen = Set<String>()
        for label in classLabels {
            if label.isEmpty { return "class_labels holds an empty label" }
            if label.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
                return "class label \"\(Self.clip(label))\" holds a control character"
            }
            if !seen.insert(label).inserted { return "class label \"\(Self.clip(label))\" appears more than once" }
        }
        return nil
    }

    /// A name short enough for one line of an error (`DatasetError` and `TrainingError` escape any
    /// line break in it).
    public static func clip(_ text: String) -> String {
        text.count > 40 ? String(text.prefix(40)) + "…" : text
    }
}
