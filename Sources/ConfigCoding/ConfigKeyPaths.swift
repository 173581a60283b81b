extension ConfigValue {
    /// Every key path of the tree as `--set` and `ConfigDifference` name them, parents before their
    /// children: `train`, `train.steps`, `model.layers`, `model.layers[0]`, `model.layers[0].out`.
    public var keyPaths: [String] {
        var out: [String] = []
        Self.collect(self, path: "", into: &out)
        return out
    }

    private static func collect(_ value: ConfigValue, path: String, into out: inout [String]) {
        switch value {
        case .map(let pairs):
            for pair in pairs {
                let key = path.isEmpty ? pair.key : path + "." + pair.key
                out.append(key)
                collect(pair.value, path: key, into: &out)
            }
        case .list(let items):
            for (i, item) in items.enumerated() {
                out.append("\(path)[\(i)]")
                collect(item, path: "\(path)[\(i)]", into: &out)
            }
        default:
            break
        }
    }

    /// The key among `keys` that `key` is a plausible typo of (one edit per three characters), for a
    /// "did you mean" hint.
    public static func closestKey(to key: String, among keys: [String]) -> String? {
        configClosestMatch(to: key, in: keys)
    }
}
