import Yams

// Yams' types under names of their own: the Training module also sees Autograd's `Node`.
typealias YAMLNode = Yams.Node
typealias YAMLTag = Yams.Tag

extension CodingUserInfoKey {
    /// The YAML tree being decoded, for messages that show the offending value.
    static let configTree = CodingUserInfoKey(rawValue: "lockstep.config.tree")!
}

extension YAMLNode {
    /// The resolved tag (`tag:yaml.org,2002:int`, …) of this node.
    var configTag: YAMLTag.Name { YAMLTag.Name(rawValue: tag.description) }

    var isNull: Bool {
        if case .scalar = self { return configTag == .null }
        return false
    }

    /// How a value is shown after "got": `1.5`, `true`, `'hinge'`, `null`, `a mapping`, `a list`.
    var configDescription: String {
        switch self {
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        case .scalar(let scalar):
            switch configTag {
            case .null: return "null"
            case .int, .float, .bool: return scalar.string
            default: return "'\(scalar.string)'"
            }
        }
    }

    /// The node at `path` (keys merged in with `<<` included), and the line of the deepest one found.
    func find(_ path: ConfigPath) -> (node: YAMLNode?, line: Int?) {
        var node: YAMLNode? = self, line = mark?.line
        for component in path.components {
            switch (component, node) {
            case (.key(let key), .mapping(let mapping)?):
                let entry = mapping.first { $0.key.string == key }
                let merged = mapping.filter { $0.key.configTag == .merge }.flatMap { $0.value.sequence.map(Array.init) ?? [$0.value] }
                line = entry?.key.mark?.line ?? line
                node = entry?.value ?? merged.lazy.compactMap { $0.mapping?[key] }.first
            case (.index(let index), .sequence(let sequence)?) where index < sequence.count:
                node = sequence[index]
                line = node?.mark?.line ?? line
            default:
                return (nil, line)
            }
        }
        return (node, line)
    }

    /// Refuses mapping keys that are not names, which Yams' decoder would skip (it refuses
    /// duplicate keys itself).
    func checkKeys(at path: ConfigPath = .root) throws {
        switch self {
        case .mapping(let mapping):
            for (key, value) in mapping {
                guard case .scalar(let scalar) = key, !key.isNull else {
                    throw ConfigError(path, "expected keys to be names, got \(key.configDescription)")
                }
                try value.checkKeys(at: path.key(scalar.string))
            }
        case .sequence(let items):
            for (index, item) in items.enumerated() { try item.checkKeys(at: path.index(index)) }
        case .scalar, .alias:
            break
        }
    }
}

extension ConfigError {
    /// A decoder's own error as one line naming the key: `train.steps: expected an integer, got 'many'`;
    /// with the YAML tree at hand, the value is shown as written. `requested` is the type asked for
    /// (Yams reports a scalar found where a list was wanted as a wanted `Scalar`).
    init(_ error: DecodingError, tree: YAMLNode?, requested: Any.Type) {
        let reported: Any.Type?, context: DecodingError.Context
        switch error {
        case .typeMismatch(let type, let info), .valueNotFound(let type, let info): (reported, context) = (type, info)
        case .keyNotFound(let key, let info):
            self.init(ConfigPath(info.codingPath).key(key.stringValue), "required key is missing")
            return
        case .dataCorrupted(let info): (reported, context) = (nil, info)
        @unknown default:
            self.init(.root, "\(error)")
            return
        }
        let path = ConfigPath(context.codingPath)
        // A list's entry (`data.features[1]`) has the list's element type.
        let wanted = reported is YAMLNode.Scalar.Type
            ? (path.components.last.map { if case .index = $0 { true } else { false } } == true
                ? (requested as? any ConfigList.Type)?.element : requested)
            : reported
        guard let wanted, let node = tree?.find(path).node else {
            self.init(path, context.debugDescription)
            return
        }
        let expected: String
        switch wanted {
        case is Int.Type: expected = "an integer"
        case is UInt64.Type: expected = "a non-negative integer"
        case is Double.Type, is Float.Type: expected = "a number"
        case is Bool.Type: expected = "true or false"
        case is String.Type: expected = "a string"
        case is YAMLNode.Mapping.Type: expected = "a mapping"
        case is YAMLNode.Sequence.Type, is any ConfigList.Type: expected = "a list"
        default: expected = "\(wanted)"
        }
        self = .mismatch(path, expected: expected, got: node.configDescription)
    }
}

/// The config's lists, for naming what their entries should be.
protocol ConfigList { static var element: Any.Type { get } }
extension Array: ConfigList { static var element: Any.Type { Element.self } }

/// A Yams error as one line and its line: `line 3, column 7: mapping values are not allowed in this context`.
enum ConfigYAMLError {
    static func describe(_ error: YamlError) -> (problem: String, line: Int?) {
        switch error {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
             .composer(let context, let problem, let mark, _):
            let within = context.map { " (\($0.text) at line \($0.mark.line))" } ?? ""
            return ("line \(mark.line), column \(mark.column): \(problem)" + within, mark.line)
        case .reader(let problem, _, _, _):
            return (problem, nil)
        case .duplicatedKeysInMapping(let duplicates, let context):
            return ("duplicate key " + duplicates.map { "'\($0)'" }.joined(separator: ", "), context.mark.line)
        default:
            return (String(describing: error).split(whereSeparator: \.isNewline).first.map(String.init) ?? "unknown error", nil)
        }
    }
}
