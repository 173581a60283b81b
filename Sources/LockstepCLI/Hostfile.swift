import Foundation

/// An Open MPI hostfile as `lockstep launch --hostfile` reads it: one host a line, `slots=K` the ranks
/// it takes (1 when not given), `#` comments. Launch needs the hosts to probe them after a failure and
/// to write the hostfile of a restart without the hosts that are gone.
///
/// ```swift
/// let hosts = try Hostfile(text: "node1 slots=2\nnode2   # spare\n", path: "hosts.txt")
/// let names = hosts.entries.map(\.name)       // ["node1", "node2"]
/// let slots = hosts.slots                     // 3
/// let rest = hosts.removing(["node2"]).text   // "node1 slots=2\n"
/// ```
struct Hostfile: Equatable {
    struct Entry: Equatable {
        var name: String
        var slots: Int
        /// The line as written (`max_slots=` and other keys are kept for mpirun).
        var line: String
    }

    var entries: [Entry]

    /// The ranks the hosts take together.
    var slots: Int { entries.reduce(0) { $0 + $1.slots } }

    /// The hostfile mpirun is given: the kept lines, one a line.
    var text: String { entries.map { $0.line + "\n" }.joined() }

    init(entries: [Entry]) { self.entries = entries }

    /// Parses `text`; `path` names the file in errors (one line each, with the line number).
    init(text: String, path: String) throws {
        var entries: [Entry] = []
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first
                .map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
            if line.isEmpty { continue }
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            var slots = 1
            for word in words.dropFirst() where word.hasPrefix("slots=") {
                guard let value = Int(word.dropFirst("slots=".count)), value >= 1 else {
                    throw HostfileError("\(path):\(index + 1): slots must be a positive number, got '\(word)'")
                }
                slots = value
            }
            // The name is what mpirun and the rsh agent are given: it must not look like an option.
            guard !words[0].hasPrefix("-") else { throw HostfileError("\(path):\(index + 1): a host name cannot start with '-': '\(words[0])'") }
            if let twice = entries.first(where: { $0.name == words[0] }) {
                throw HostfileError("\(path):\(index + 1): host '\(twice.name)' is listed twice")
            }
            entries.append(Entry(name: words[0], slots: slots, line: line))
        }
        guard !entries.isEmpty else { throw HostfileError("\(path): no hosts (one host a line, e.g. 'node1 slots=4')") }
        self.entries = entries
    }

    /// Reads and parses the file at `path`.
    init(contentsOf path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw HostfileError("hostfile '\(path)' cannot be read (missing, or not a readable file)")
        }
        try self.init(text: String(decoding: data, as: UTF8.self), path: path)
    }

    /// The hostfile without the named hosts.
    func removing(_ names: Set<String>) -> Hostfile {
        Hostfile(entries: entries.filter { !names.contains($0.name) })
    }
}

/// A hostfile that cannot be used, in one line.
struct HostfileError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
