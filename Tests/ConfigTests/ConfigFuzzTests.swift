import Foundation
import Testing
import Config

/// Bad config text must end in a one-line `ConfigError` (or a config that validates), never a trap:
/// deep nesting used to overflow the stack inside Yams (issue 11, defect 6).
@Suite("Config: hostile input")
struct ConfigFuzzTests {
    @Test func deepNestingIsAnErrorNotACrash() {
        let deep = String(repeating: "[", count: 5_000)
        expectConfigError("seed: 7\nmodel: " + deep + "\n",
                          "clinical.yaml: the YAML nests deeper than 64 levels (line 2); a config needs only a few")
        expectConfigError(String(repeating: "{a: ", count: 5_000),
                          "clinical.yaml: the YAML nests deeper than 64 levels (line 1); a config needs only a few")
        expectConfigError(String(repeating: "- ", count: 5_000) + "x\n",
                          "clinical.yaml: the YAML nests deeper than 64 levels (line 1); a config needs only a few")
        expectConfigError(configClinicalYAML, overrides: ["train.steps=" + deep],
                          "clinical.yaml: the value nests deeper than 64 levels; a config needs only a few "
                          + "(from --set train.steps=\(deep))")
    }

    @Test func bracketsInsideQuotesAndCommentsDoNotCount() throws {
        let quoted = "\"" + String(repeating: "[", count: 200) + "\""
        let config = try RunConfig(yaml: configClinical(replacing: "output: {dir: runs/clinical-mlp}",
                                                        with: "output: {dir: \(quoted)}  # " + String(repeating: "{", count: 200)))
        #expect(config.output.dir == String(repeating: "[", count: 200))
    }

    @Test func hugeLayersAreAnErrorNotAnOverflow() {
        expectConfigError(configClinical(replacing: "{name: layer2, type: linear, out: 32}",
                                         with: "{name: layer2, type: linear, out: 9223372036854775807}"),
                          "clinical.yaml: model.layers[4].out: 64 × 9223372036854775807 weights are more than any machine "
                          + "can hold (at most 1099511627776 parameters)")
        expectConfigError(configClinical(replacing: "input: 20", with: "input: 9223372036854775807"),
                          "clinical.yaml: model.input: expected at most 1099511627776 features, got 9223372036854775807")
    }

    /// ≥ 1,000 mutations of the shipped configs (fixed seed): each loads or throws a one-line ConfigError.
    @Test func mutatedConfigsNeverTrap() throws {
        let originals = try ["clinical-mlp.yaml", "digits-mlp.yaml", "wide-mlp.yaml"].map {
            try String(contentsOfFile: configShippedPath($0), encoding: .utf8)
        }
        var random = FuzzRandom(seed: 0x5EED_C0DE)
        var loaded = 0, rejected = 0
        for round in 0..<1_200 {
            let text = ConfigMutator.mutate(originals[round % originals.count], &random)
            do {
                let config = try RunConfig(yaml: text, source: "fuzz.yaml")
                try config.validate()
                #expect(try RunConfig(yaml: config.canonicalYAML, source: "canonical") == config, "round \(round)")
                loaded += 1
            } catch let error as ConfigError {
                #expect(!error.description.contains("\n"), "round \(round): \(error)")
                #expect(error.description.hasPrefix("fuzz.yaml: "), "round \(round): \(error)")
                rejected += 1
            } catch {
                Issue.record("round \(round): not a ConfigError: \(error)\n\(text)")
            }
        }
        #expect(loaded + rejected == 1_200)
        #expect(loaded > 0 && rejected > 0)
    }
}

/// SplitMix64: a fixed seed gives the same mutations on every machine.
struct FuzzRandom {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(max(n, 1))) }
}

/// The mutations: byte flips, truncations, deletions, duplicated lines (duplicate keys), values
/// replaced by wrong types or huge numbers, and deep nesting.
enum ConfigMutator {
    static let values = ["[1, 2]", "{a: 1}", "true", "null", "~", "hinge", "\"600\"", "-1", "0", "1e308", "-1e308",
                         ".nan", ".inf", "99999999999999999999", "-9223372036854775808", "9223372036854775807",
                         "0x7fffffffffffffff", "1_000_000_000_000", "*nope", "&a 3", "!!binary aGk=", "'", "\"\\x\"",
                         String(repeating: "[", count: 3_000), String(repeating: "- ", count: 500) + "x"]

    static func mutate(_ original: String, _ random: inout FuzzRandom) -> String {
        var bytes = Array(original.utf8)
        let count = 1 + random.below(3)
        for _ in 0..<count where !bytes.isEmpty {
            switch random.below(7) {
            case 0:   // flip a byte
                let i = random.below(bytes.count)
                bytes[i] ^= UInt8(1 << random.below(8))
            case 1:   // truncate
                bytes = Array(bytes.prefix(random.below(bytes.count)))
            case 2:   // delete a span
                let i = random.below(bytes.count), n = 1 + random.below(20)
                bytes.removeSubrange(i..<min(bytes.count, i + n))
            case 3:   // duplicate a line
                var lines = String(decoding: bytes, as: UTF8.self).components(separatedBy: "\n")
                let i = random.below(lines.count)
                lines.insert(lines[i], at: i)
                bytes = Array(lines.joined(separator: "\n").utf8)
            default:  // replace the value after a ':' with a hostile one
                var text = String(decoding: bytes, as: UTF8.self)
                let colons = text.indices.filter { text[$0] == ":" }
                guard let colon = colons.isEmpty ? nil : colons[random.below(colons.count)] else { break }
                let start = text.index(after: colon)
                let end = text[start...].firstIndex { $0 == "," || $0 == "}" || $0 == "\n" } ?? text.endIndex
                text.replaceSubrange(start..<end, with: " " + values[random.below(values.count)])
                bytes = Array(text.utf8)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
