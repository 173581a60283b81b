/// One key whose value differs between two configs, as a `--set` path would name it.
public struct ConfigDifference: Sendable, Equatable, CustomStringConvertible {
    /// `train.steps`, `model.layers[2].out`, `model.layers` (when the lists differ in length).
    public var key: String
    public var old: String
    public var new: String
    public var description: String { "\(key) (\(old) → \(new))" }
}

extension RunConfig {
    /// The keys whose canonical values differ from `other`'s, in schema order. Both sides are compared
    /// in canonical form, so spelling, key order and defaults written out or not make no difference;
    /// a key present on one side only (another layer type, another data source) is a difference too.
    ///
    /// ```swift
    /// let keys = current.differences(from: checkpointConfig).map(\.key)   // ["train.steps"]
    /// ```
    public func differences(from other: RunConfig) -> [ConfigDifference] {
        var out: [ConfigDifference] = []
        Self.compare(other.canonical, canonical, path: "", into: &out)
        return out
    }

    private static func compare(_ old: ConfigValue?, _ new: ConfigValue?, path: String, into out: inout [ConfigDifference]) {
        switch (old, new) {
        case let (.map(a)?, .map(b)?):
            let keys = a.map(\.key) + b.map(\.key).filter { key in !a.contains { $0.key == key } }
            for key in keys {
                compare(a.first { $0.key == key }?.value, b.first { $0.key == key }?.value,
                        path: path.isEmpty ? key : path + "." + key, into: &out)
            }
        case let (.list(a)?, .list(b)?) where a.count == b.count:
            for i in a.indices { compare(a[i], b[i], path: "\(path)[\(i)]", into: &out) }
        default:
            let oldText = old?.flow ?? "absent", newText = new?.flow ?? "absent"
            if oldText != newText { out.append(ConfigDifference(key: path, old: oldText, new: newText)) }
        }
    }
}

extension RunConfig {
    /// The keys that change how a run executes but never its bits (`DistributedConfig.executionOnlyKeys`):
    /// overlap, buckets, optimizer sharding, the modelled network. A resumed run may change them freely.
    public static var executionOnlyKeys: [String] {
        DistributedConfig.executionOnlyKeys.map { "distributed." + $0 }
    }

    /// Whether `difference` is in an execution-only key (or inside one, as `distributed.network.gbps`).
    public static func isExecutionOnly(_ difference: ConfigDifference) -> Bool {
        executionOnlyKeys.contains { difference.key == $0 || difference.key.hasPrefix($0 + ".") }
    }
}
