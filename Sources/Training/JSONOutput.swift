import Foundation

/// Every JSON the runner writes (metrics.jsonl, summary.json, `eval --json`, `inspect --json`) goes
/// through `Encodable` and this one encoder: keys sorted, and no non-finite number ever written
/// (JSON has none; `JSONEncoder` would throw mid-run). A metric that is not finite is written as
/// `null` with a sibling `<key>_undefined` that says why.
///
/// ```swift
/// struct Point: Encodable { let x: Int }
/// let line = try JSONOutput.line(Point(x: 1))      // {"x":1}
/// ```
public enum JSONOutput {
    /// One line of JSON with sorted keys (no trailing newline).
    public static func line<T: Encodable>(_ value: T) throws -> String {
        String(decoding: try encoder(pretty: false).encode(value), as: UTF8.self)
    }

    /// Indented JSON with sorted keys and a trailing newline, for files people read.
    public static func pretty<T: Encodable>(_ value: T) throws -> [UInt8] {
        Array(try encoder(pretty: true).encode(value)) + [UInt8(ascii: "\n")]
    }

    static func encoder(pretty: Bool) -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.prettyPrinted, .sortedKeys] : [.sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .throw
        return encoder
    }
}

/// A coding key made from a string, for records whose keys are written out where they are encoded.
public struct JSONKey: CodingKey, ExpressibleByStringLiteral {
    public var stringValue: String
    public var intValue: Int? { nil }
    public init(_ string: String) { stringValue = string }
    public init(stringLiteral value: String) { stringValue = value }
    public init?(stringValue: String) { self.stringValue = stringValue }
    public init?(intValue: Int) { return nil }
}

extension KeyedEncodingContainer {
    /// `value` under `key` when finite. Otherwise `null`, plus `<key>_undefined: why` (by default
    /// "not finite (nan)"), so that a reader can tell an undefined metric from a missing one. A nil
    /// `value` writes nothing when there is no `why` (the metric does not apply), and `null` with the
    /// reason when there is one (it applies but cannot be computed: the AUC of one class).
    public mutating func encodeMetric(_ value: Double?, forKey key: Key, undefined why: String? = nil) throws {
        guard let value else {
            guard let why, let reasonKey = Key(stringValue: key.stringValue + "_undefined") else { return }
            try encodeNil(forKey: key)
            try encode(why, forKey: reasonKey)
            return
        }
        if value.isFinite {
            try encode(value, forKey: key)
            return
        }
        try encodeNil(forKey: key)
        guard let reasonKey = Key(stringValue: key.stringValue + "_undefined") else { return }
        try encode(why ?? "not finite (\(value.isNaN ? "nan" : value > 0 ? "+inf" : "-inf"))", forKey: reasonKey)
    }
}

extension KeyedDecodingContainer {
    /// Reads what `encodeMetric` wrote: a number, or NaN for `null`.
    public func decodeMetric(forKey key: Key) throws -> Double {
        try decodeIfPresent(Double.self, forKey: key) ?? .nan
    }
}
