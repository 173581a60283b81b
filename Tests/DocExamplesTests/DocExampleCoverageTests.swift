import Foundation
import Testing

/// Every ```swift block of README.md, docs/*.md and the `///` comments under Sources must appear,
/// whitespace-normalised, in this target's sources, where the compiler checks it: a doc example
/// cannot change without its compiled twin changing.
@Suite("Doc examples compile")
struct DocExampleCoverageTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()   // DocExamplesTests
        .deletingLastPathComponent().deletingLastPathComponent()

    /// Path prefixes of files whose examples another branch is rewriting, exempt until the branches
    /// meet; the lead empties this list then. Empty: every example is checked.
    static let pending: Set<String> = []

    struct Block: CustomStringConvertible {
        let file: String
        let line: Int
        let text: String
        var description: String { "\(file):\(line)" }
    }

    /// ```swift … ``` in markdown.
    static func markdownBlocks(_ path: String) throws -> [Block] {
        try blocks(in: String(contentsOfFile: root.appendingPathComponent(path).path, encoding: .utf8), file: path) { $0 }
    }

    /// ```swift … ``` inside consecutive `///` lines of a Swift file.
    static func commentBlocks(_ path: String) throws -> [Block] {
        try blocks(in: String(contentsOfFile: root.appendingPathComponent(path).path, encoding: .utf8), file: path) { line in
            let trimmed = line.drop { $0 == " " }
            guard trimmed.hasPrefix("///") else { return nil }
            let body = trimmed.dropFirst(3)
            return body.hasPrefix(" ") ? body.dropFirst() : body
        }
    }

    static func blocks(in text: String, file: String, content: (Substring) -> Substring?) -> [Block] {
        var found: [Block] = []
        var current: [Substring]?
        var start = 0
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            guard let body = content(line) else { current = nil; continue }
            let fence = body.trimmingCharacters(in: .whitespaces)
            if current == nil, fence == "```swift" { current = []; start = number + 1; continue }
            if current != nil, fence == "```" {
                found.append(Block(file: file, line: start, text: current!.joined(separator: "\n")))
                current = nil
                continue
            }
            current?.append(body)
        }
        return found
    }

    static func normalised(_ text: String) -> String {
        text.split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
    }

    static func swiftFiles(under directory: String) -> [String] {
        let base = root.appendingPathComponent(directory)
        guard let walker = FileManager.default.enumerator(atPath: base.path) else { return [] }
        return walker.compactMap { $0 as? String }.filter { $0.hasSuffix(".swift") }.sorted().map { directory + "/" + $0 }
    }

    static func allBlocks() throws -> [Block] {
        let docs = try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("docs").path)
            .filter { $0.hasSuffix(".md") }.sorted().map { "docs/" + $0 }
        return try (["README.md"] + docs).flatMap(markdownBlocks) + swiftFiles(under: "Sources").flatMap(commentBlocks)
    }

    static func isPending(_ block: Block) -> Bool { pending.contains { block.file.hasPrefix($0) } }

    @Test func everyExampleHasACompiledTwin() throws {
        let compiled = Self.normalised(try Self.swiftFiles(under: "Tests/DocExamplesTests").map {
            try String(contentsOfFile: Self.root.appendingPathComponent($0).path, encoding: .utf8)
        }.joined(separator: "\n"))
        let blocks = try Self.allBlocks()
        #expect(blocks.count > 80, "found only \(blocks.count) examples: is the extraction broken?")
        let missing = blocks.filter { !Self.isPending($0) && !compiled.contains(Self.normalised($0.text)) }
        #expect(missing.isEmpty, "examples without a compiled twin in Tests/DocExamplesTests: \(missing)")
    }

    @Test func extractionFindsFencesInMarkdownAndComments() {
        let markdown = Self.blocks(in: "a\n```swift\nlet x = 1\n```\n```sh\nls\n```\n", file: "m") { $0 }
        #expect(markdown.map(\.text) == ["let x = 1"])
        let comment = Self.blocks(in: "/// ```swift\n/// let y = 2\n///     .description\n/// ```\nlet z = 3\n", file: "s") { line in
            line.hasPrefix("///") ? line.dropFirst(4) : nil
        }
        #expect(comment.map(\.text) == ["let y = 2\n    .description"])
        #expect(Self.normalised("a  b\n   c") == "a b c")
    }
}
