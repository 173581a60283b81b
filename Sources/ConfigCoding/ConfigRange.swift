/// The range checks of `validate()`, each on the path of its key and with the message users see:
/// `try path.key("out").positive(out)` throws `model.layers[4].out: expected a positive integer, got 0`.
extension ConfigPath {
    public func expect(_ ok: Bool, _ expected: String, got value: String) throws {
        if !ok { throw ConfigError(self, "expected \(expected), got \(value)") }
    }

    public func positive(_ value: Int) throws { try expect(value > 0, "a positive integer", got: String(value)) }
    public func nonNegative(_ value: Int) throws { try expect(value >= 0, "a non-negative integer", got: String(value)) }
    public func atLeastTwo(_ value: Int) throws { try expect(value >= 2, "an integer ≥ 2", got: String(value)) }

    public func positive(_ value: Double) throws { try expect(value > 0 && value.isFinite, "a positive number", got: configNumber(value)) }
    public func nonNegative(_ value: Double) throws { try expect(value >= 0 && value.isFinite, "a number ≥ 0", got: configNumber(value)) }
    public func finite(_ value: Double) throws { try expect(value.isFinite, "a finite number", got: configNumber(value)) }

    /// In [0, 1), or [0, 1] with `closed`.
    public func fraction(_ value: Double, closed: Bool = false) throws {
        try expect(value >= 0 && (closed ? value <= 1 : value < 1), "a number in [0, 1\(closed ? "]" : ")")",
                   got: configNumber(value))
    }

    /// In (0, 1].
    public func openFraction(_ value: Double) throws {
        try expect(value > 0 && value <= 1, "a number in (0, 1]", got: configNumber(value))
    }

    /// A non-empty string, described as `what` ("a file path").
    public func nonEmpty(_ value: String, _ what: String) throws { try expect(!value.isEmpty, what, got: "''") }

    /// Names in a list (columns): non-empty and each once. `what` names one ("column name").
    public func names(_ values: [String], _ what: String) throws {
        for (index, name) in values.enumerated() {
            try self.index(index).nonEmpty(name, "a \(what)")
            if values[..<index].contains(name) { throw ConfigError(self.index(index), "duplicate \(what) '\(name)'") }
        }
    }
}

/// A number as a person would write it: `2` rather than `2.0`, `0.001`, `1e-05`.
public func configNumber(_ value: Double) -> String {
    if value.isFinite, value == value.rounded(), abs(value) < 1e15 {
        return String(Int(value))
    }
    return value.description
}
