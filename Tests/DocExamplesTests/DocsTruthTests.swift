import Foundation
import Testing
@testable import LockstepCLI

/// Statements of the docs that the code could silently make false, checked against the code itself.
@Suite("docs stay true")
struct DocsTruthTests {
    static let root = DocExampleCoverageTests.root

    static func read(_ path: String) throws -> String {
        try String(contentsOfFile: root.appendingPathComponent(path).path, encoding: .utf8)
    }

    /// Package.swift's targets and what each depends on (targets and products alike), read from the
    /// manifest's `.target(name: "X", dependencies: [...])` entries.
    static func manifestDependencies() throws -> [String: Set<String>] {
        let manifest = try read("Package.swift")
        var targets: [String: Set<String>] = [:]
        let pattern = #/\.(?:target|executableTarget|systemLibrary)\(name: "(\w+)"(?:, dependencies: \[([^\]]*)\])?/#
        for match in manifest.matches(of: pattern) {
            // Targets by name; `.product(name: "Crypto", package: "swift-crypto")` by its product's name
            // (a package name with a dash is no match, and "Yams" names both).
            targets[String(match.1)] = Set((match.2.map(String.init) ?? "").matches(of: #/"(\w+)"/#).map { String($0.1) })
        }
        return targets
    }

    /// architecture.md's module table: each row's targets and the names in its imports column, in order.
    static func moduleTable() throws -> [(targets: [String], imports: Set<String>)] {
        let text = try read("docs/architecture.md")
        let table = text.components(separatedBy: "## Modules")[1].components(separatedBy: "###")[0]
        return table.split(separator: "\n").filter { $0.hasPrefix("| `") }.map { line in
            let cells = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            let targets = cells[0].matches(of: #/`(\w+)`/#).map { String($0.1) }.filter { $0 != "lockstep" }
            // "Distributed (`ReductionMode`), Yams": the first word of each entry; "—" for none.
            let imports = cells[2] == "—" ? [] : cells[2].replacing(#/\([^)]*\)/#, with: "").split(separator: ",")
                .map { $0.trimmingCharacters(in: .whitespaces) }
            return (targets, Set(imports))
        }
    }

    @Test func theModuleTableHasPackageSwiftsTargetsAndImports() throws {
        let manifest = try Self.manifestDependencies()
        let table = try Self.moduleTable()
        let documented = table.flatMap(\.targets)
        #expect(Set(documented) == Set(manifest.keys.filter { !$0.hasSuffix("Tests") }), "targets: \(documented)")
        for row in table {
            let imports = row.targets.reduce(into: Set<String>()) { $0.formUnion(manifest[$1] ?? []) }
            #expect(row.imports == imports, "\(row.targets): documented \(row.imports.sorted()), Package.swift \(imports.sorted())")
        }
    }

    @Test func nothingImportsAModuleBelowIt() throws {
        let table = try Self.moduleTable()
        for (index, row) in table.enumerated() {
            let below = Set(table[(index + 1)...].flatMap(\.targets))
            #expect(row.imports.isDisjoint(with: below), "\(row.targets) imports \(row.imports.intersection(below).sorted()), listed below it")
        }
    }

    /// Every subcommand is in architecture.md's list and shown in use in the README or docs.
    @Test func everySubcommandIsDocumented() throws {
        let names = Lockstep.configuration.subcommands.map { $0._commandName }
        #expect(names.count >= 10)
        let cliRow = try Self.read("docs/architecture.md").split(separator: "\n").first { $0.hasPrefix("| `LockstepCLI`") } ?? ""
        let docs = try ([Self.read("README.md")] + FileManager.default.contentsOfDirectory(atPath: Self.root.appendingPathComponent("docs").path)
            .filter { $0.hasSuffix(".md") }.map { try Self.read("docs/" + $0) }).joined(separator: "\n")
        for name in names {
            #expect(cliRow.contains("`\(name)`"), "architecture.md's LockstepCLI row does not list `\(name)`")
            #expect(docs.contains("lockstep \(name) ") || docs.contains("$B \(name) "), "no doc shows `lockstep \(name)` in use")
        }
    }

    /// The README promises that every Glibc import has a Darwin branch.
    @Test func everyGlibcImportHasADarwinBranch() throws {
        let sources = DocExampleCoverageTests.swiftFiles(under: "Sources")
        #expect(sources.count > 100)
        for file in sources {
            let lines = try Self.read(file).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            for (index, line) in lines.enumerated() where line.hasSuffix("import Glibc") || line.contains("import Glibc ") {
                let ok = index > 0 && lines[index - 1] == "#if canImport(Glibc)" && index + 2 < lines.count
                    && lines[index + 1] == "#elseif canImport(Darwin)" && lines[index + 2].contains("import Darwin")
                #expect(ok, "\(file):\(index + 1): Glibc without a Darwin branch")
            }
        }
    }
}
