/// A measured number as Lockstep's JSON holds it. JSON has no NaN or infinity, and a reader must
/// tell a metric that could not be computed from one that does not apply, so a metric is written as
/// its finite value, or as `null` with the reason beside it under `<key>_undefined`:
/// `"auc": null, "auc_undefined": "the data holds only one class"`. A metric that does not apply is
/// left out (`encodeIfPresent` of nil).
///
/// It is encoded into a container keyed by `JSONKey`, the only kind that can name the reason's key
/// (a synthesized `CodingKeys` enum has a case per property and none for `<key>_undefined`).
///
/// ```swift
/// var out = encoder.container(keyedBy: JSONKey.self)
/// try out.encode(Metric(loss), forKey: "loss")       // 0.41, or null and "loss_undefined": "not finite (nan)"
/// try out.encodeIfPresent(Metric(auc, undefined: "the data holds only one class"), forKey: "auc")
/// let back = try values.decode(Metric.self, forKey: "loss").number   // NaN when it was undefined
/// ```
public struct Metric: Sendable, Equatable {
    /// The value, when there is a finite one.
    public let value: Double?
    /// Why there is no value; nil when there is one.
    public let undefinedReason: String?

    /// A measured value. One that is not finite is undefined, "not finite (nan)" (or `+inf`, `-inf`).
    public init(_ measured: Double) {
        if measured.isFinite {
            value = measured
            undefinedReason = nil
        } else {
            value = nil
            undefinedReason = "not finite (\(measured.isNaN ? "nan" : measured > 0 ? "+inf" : "-inf"))"
        }
    }

    /// A metric that cannot be computed, and why.
    public init(undefined reason: String) {
        value = nil
        undefinedReason = reason
    }

    /// A metric that may not apply: nil when there is neither a value nor a reason. `reason`, when
    /// given, says why `value` is nil or not finite.
    public init?(_ value: Double?, undefined reason: String?) {
        switch (value, reason) {
        case (nil, nil): return nil
        case (let value?, _) where value.isFinite: self.init(value)
        case (let value?, nil): self.init(value)
        case (_, let reason?): self.init(undefined: reason)
        }
    }

    /// The value, or NaN when there is none: the metric as a number to compute with.
    public var number: Double { value ?? .nan }

    fileprivate static func reasonKey(_ key: JSONKey) -> JSONKey { JSONKey(key.stringValue + "_undefined") }
}

extension KeyedEncodingContainer where Key == JSONKey {
    /// `metric` under `key`: its value, or `null` and the reason under `<key>_undefined`.
    public mutating func encode(_ metric: Metric, forKey key: JSONKey) throws {
        if let value = metric.value {
            try encode(value, forKey: key)
        } else {
            try encodeNil(forKey: key)
            try encode(metric.undefinedReason, forKey: Metric.reasonKey(key))
        }
    }

    /// `metric` under `key` if there is one; nothing otherwise (the metric does not apply).
    public mutating func encodeIfPresent(_ metric: Metric?, forKey key: JSONKey) throws {
        if let metric { try encode(metric, forKey: key) }
    }
}

extension KeyedDecodingContainer where Key == JSONKey {
    /// What `encode(_:forKey:)` wrote: a number, or `null` with the reason beside it.
    public func decode(_ type: Metric.Type, forKey key: JSONKey) throws -> Metric {
        guard try decodeNil(forKey: key) else { return Metric(try decode(Double.self, forKey: key)) }
        return Metric(undefined: try decodeIfPresent(String.self, forKey: Metric.reasonKey(key)) ?? "null without a reason")
    }

    /// The metric under `key`, or nil when the key is absent (a `null` is an undefined metric).
    public func decodeIfPresent(_ type: Metric.Type, forKey key: JSONKey) throws -> Metric? {
        contains(key) ? try decode(type, forKey: key) : nil
    }
}
