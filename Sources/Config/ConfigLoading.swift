import ConfigCoding

extension RunConfig: ConfigOverridable {
    /// Reads, decodes and validates the YAML file at `path` (relative paths are relative to the
    /// current directory), after applying `--set key.path=value` overrides in order. Every problem
    /// is a `ConfigError` whose `file` is `path` as given.
    public static func load(path: String, overrides: [String] = []) throws -> RunConfig {
        try RunConfig(yaml: ConfigDocument.text(ofFile: path), source: path, overrides: overrides)
    }

    /// Decodes and validates YAML text; `source` names it in error messages (a file name).
    public init(yaml: String, source: String = "config", overrides: [String] = []) throws {
        self = try ConfigDocument.decode(RunConfig.self, yaml: yaml, source: source, overrides: overrides)
        self.source = source
    }

    public static func variants(at path: ConfigPath) -> ConfigVariants? {
        switch path.components {
        case [.key("data")]:
            return ConfigVariants("source", shared: DataConfig.commonKeys, DataConfig.Source.kinds.map { ($0.0, $0.1) })
        case [.key("optimizer")]:
            return ConfigVariants("type", shared: OptimizerConfig.commonKeys, OptimizerConfig.Kind.allCases.map { ($0.rawValue, $0.keys) })
        case [.key("schedule")]:
            return ConfigVariants("type", shared: ScheduleConfig.commonKeys, ScheduleConfig.Kind.allCases.map { ($0.rawValue, $0.keys) })
        case let components where components.count == 3 && components[..<2] == [.key("model"), .key("layers")]:
            return ConfigVariants("type", shared: LayerConfig.commonKeys, LayerConfig.Kind.types.map { ($0.name, $0.keys) })
        default:
            return nil
        }
    }

    public static func shorthandKey(at path: ConfigPath) -> String? {
        path == ConfigPath.root.key("loss") ? "type" : nil
    }

    /// The configuration in canonical YAML: every key in the order its section writes it, defaults
    /// filled in. Write it next to a run's outputs; loading it gives an equal `RunConfig`.
    public var canonicalYAML: String { canonical.yaml }

    /// FNV-1a 64 of `canonicalYAML`, as 16 lowercase hex digits. Equal configs (however written:
    /// key order, comments, defaults spelled out or not, overrides) have equal digests; any change of
    /// value changes it. `source` takes no part.
    public var configDigest: String { canonical.digest }

    /// The keys whose canonical values differ from `other`'s. Both sides are compared in canonical
    /// form, so spelling, key order and defaults written out or not make no difference; a key present
    /// on one side only (another layer type, another data source) is a difference too.
    ///
    /// ```swift
    /// let keys = current.differences(from: checkpointConfig).map(\.key)   // ["train.steps"]
    /// ```
    public func differences(from other: RunConfig) -> [ConfigDifference] {
        canonical.differences(from: other.canonical)
    }

    /// Every key path of the canonical form (`train.steps`, `model.layers[2].out`, …): the keys a
    /// `ConfigDifference` can name. Keys left out at their default (see `canonicalYAML`) are not listed.
    public var keyPaths: [String] { canonical.keyPaths }

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
