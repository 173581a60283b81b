/// One key whose value differs between two configs, as a `--set` path would name it.
public struct ConfigDifference: Sendable, Equatable, CustomStringConvertible {
    /// `train.steps`, `model.layers[2].out`, `model.layers` (when the lists differ in length).
    public var key: String
    public var old: String
    public var new: String
    public var description: String { "\(key) (\(old) → \(new))" }
}

extension ConfigValue {
    /// The keys whose values differ from `old`'s, in this tree's order then `old`'s; a key present on
    /// one side only is a difference too.
    public func differences(from old: ConfigValue) -> [ConfigDifference] {
        var out: [ConfigDifference] = []
        Self.compare(old, self, path: "", into: &out)
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
