import Foundation
import Testing
@testable import Datasets

/// Issue 11: 1,500 mutations of real CSV files through `CSVLoader.parse` (the parser behind every CSV
/// data source). The property: a `DatasetError` whose message is one line naming the file, or a data
/// set that is consistent (every row as wide as the header says, every value finite, labels fitting
/// the task); never a trap (a trap ends the test process).
@Suite("Fuzz: mutated CSV files through the parser")
struct CSVFuzzTests {
    static let iterations = 1_500
    static let seed: UInt64 = 0xC5F0_2026_1128

    /// Small, seedable, so that every run makes the same mutations (SplitMix64).
    struct Generator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    /// Seeds: the head of the shipped digits file, and a hand-written file with the awkward parts of
    /// the format (BOM, CRLF, quotes, spaces, an unused text column, blank lines).
    static func seeds() throws -> [(bytes: [UInt8], loader: CSVLoader)] {
        // Bytes, not Characters: the file ends lines with CRLF, which Swift counts as one Character.
        let digits = try Data(contentsOf: URL(fileURLWithPath: digitsPath))
        let head = Array(digits.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).prefix(25)
            .joined(separator: [UInt8(ascii: "\n")])) + [UInt8(ascii: "\n")]
        let awkward = "\u{FEFF}id,\"age\", bp ,label\r\n\"a,1\",63, 120.5 ,1\r\n\r\nb\"x,41,1e2,0\r\n\"c \"\"q\"\"\",70,-3.25e-1,1\r\n"
        return [
            (head, CSVLoader(labelColumn: "digit")),
            (head, CSVLoader(labelColumn: "digit", featureColumns: ["p3", "p10", "p63"], task: .multiclass(classes: 10))),
            (Array(awkward.utf8), CSVLoader(labelColumn: "label", featureColumns: ["age", "bp"])),
            (Array(awkward.utf8), CSVLoader(labelColumn: "label", featureColumns: ["age", "bp"], task: .binaryClassification)),
        ]
    }

    static let fragments: [String] = [",", "\"", "\n", "\r", "\r\n", " ", "\t", "\u{FEFF}", "nan", "inf", "-inf", "1e40", "-",
                                      "+", ".", "e", "0x1p3", "99999999999999999999999", "1.00000000000000000001", "\u{0}",
                                      "\u{7F}", "é", "\u{1}", "\"\"", ",,,,", "label", "digit", "p3"]

    static func mutate(_ bytes: [UInt8], using random: inout Generator) -> [UInt8] {
        func pick(_ n: Int) -> Int { n <= 0 ? 0 : Int.random(in: 0..<n, using: &random) }
        var b = bytes
        for _ in 0..<(1 + pick(3)) {
            switch pick(8) {
            case 0: b = Array(b.prefix(pick(b.count + 1)))                                   // truncation
            case 1: if !b.isEmpty { b[pick(b.count)] ^= UInt8(1 + pick(255)) }               // byte flip
            case 2: b.insert(contentsOf: Array(fragments[pick(fragments.count)].utf8), at: pick(b.count + 1))
            case 3: if !b.isEmpty { b.remove(at: pick(b.count)) }
            case 4:                                                                           // duplicate or drop a line
                var lines = b.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
                guard !lines.isEmpty else { continue }
                let i = pick(lines.count)
                if pick(2) == 0 { lines.insert(lines[i], at: pick(lines.count)) } else { lines.remove(at: i) }
                b = Array(lines.joined(separator: [UInt8(ascii: "\n")]))
            case 5:                                                                           // replace a cell
                let commas = b.indices.filter { b[$0] == UInt8(ascii: ",") }
                guard let at = commas.isEmpty ? nil : commas[pick(commas.count)] else { continue }
                b.insert(contentsOf: Array(fragments[pick(fragments.count)].utf8), at: at + 1)
            case 6: b += (0..<pick(40)).map { _ in UInt8(pick(256)) }                        // random tail
            default: b = Array(b.prefix(pick(b.count + 1))) + Array(fragments[pick(fragments.count)].utf8)
            }
        }
        return b
    }

    /// Found by this fuzz test: a carriage return inside a header name or cell went into the error
    /// message as is, and a terminal then overwrote the start of the line with the rest.
    @Test("control characters from the file are escaped in error messages")
    func controlCharactersAreEscaped() {
        let bytes = Array("id,la\rbel\u{1}\n1,2\n".utf8)
        #expect(throws: DatasetError.self) { _ = try CSVLoader(labelColumn: "label").parse(bytes: bytes, source: "d.csv") }
        do { _ = try CSVLoader(labelColumn: "label").parse(bytes: bytes, source: "d.csv") } catch {
            #expect(error.description == "d.csv:1: no label column \"label\"; the columns are: id, la\\rbel\\u{1}")
        }
    }

    @Test("1,500 mutated CSV files: one-line errors naming the file, or a consistent data set")
    func mutatedCSV() throws {
        let seeds = try Self.seeds()
        var random = Generator(state: Self.seed)
        var accepted = 0, refused = 0
        for iteration in 0..<Self.iterations {
            let seed = seeds[iteration % seeds.count]
            let bytes = Self.mutate(seed.bytes, using: &random)
            let source = "fuzz/\(iteration).csv"
            do {
                let data = try seed.loader.parse(bytes: bytes, source: source)
                accepted += 1
                #expect(data.features.count == data.count * data.featureCount, "iteration \(iteration)")
                #expect(data.features.allSatisfy(\.isFinite) && data.targets.allSatisfy(\.isFinite), "iteration \(iteration)")
                if case .multiclass(let classes) = data.task {
                    #expect(data.targets.allSatisfy { $0 >= 0 && $0 < Float(classes) && $0 == $0.rounded() }, "iteration \(iteration)")
                }
                if data.task == .binaryClassification {
                    #expect(data.targets.allSatisfy { $0 == 0 || $0 == 1 }, "iteration \(iteration)")
                }
            } catch {
                refused += 1
                let message = error.description
                #expect(message.hasPrefix(source + ":"), "iteration \(iteration): \(message)")
                #expect(!message.contains("\n") && !message.contains("\r"), "iteration \(iteration): not one line: \(message)")
            }
        }
        #expect(accepted > 0 && refused > 0)
        print("CSV fuzz: \(Self.iterations) mutations, \(accepted) parsed, \(refused) refused")
    }
}
