import Foundation

/// Every JSON Lockstep writes (metrics.jsonl, summary.json, preprocessing.json, data.json,
/// `eval --json`, `inspect --json`, the benchmarks' reports, the timeline's events) goes through
/// `Encodable` and this one encoder: keys sorted, slashes not escaped, and no non-finite number
/// ever written, since JSON has none. A number that may be undefined is a `Metric` (`null` with a
/// `<key>_undefined` reason); any other `Double` must be finite, and the encoder refuses one that is
/// not rather than write it. Reading is `JSONDecoder()` as it comes: `Metric` reads its own `null`s.
///
/// ```swift
/// struct Point: Encodable { let x: Int }
/// let line = try JSONOutput.line(Point(x: 1))      // {"x":1}
/// ```
public enum JSONOutput {
    /// One line of JSON (no trailing newline).
    public static func line<T: Encodable>(_ value: T) throws -> String {
        String(decoding: try encoder(pretty: false).encode(value), as: UTF8.self)
    }

    /// Indented JSON with a trailing newline, for files people read.
    public static func pretty<T: Encodable>(_ value: T) throws -> [UInt8] {
        Array(try encoder(pretty: true).encode(value)) + [UInt8(ascii: "\n")]
    }

    private static func encoder(pretty: Bool) -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .throw
        return encoder
    }
}

/// A coding key made from a string, for records whose keys are written out where they are encoded
/// (and for `Metric`, whose reason goes under a key made from its own).
public struct JSONKey: CodingKey, ExpressibleByStringLiteral {
    public var stringValue: String
    public var intValue: Int? { nil }
    public init(_ string: String) { stringValue = string }
    public init(stringLiteral value: String) { stringValue = value }
    public init?(stringValue: String) { self.stringValue = stringValue }
    public init?(intValue: Int) { return nil }
}
