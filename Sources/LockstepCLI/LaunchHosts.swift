import Foundation

/// The hosts a `lockstep launch --hostfile` job runs on, shrinking as hosts are lost: after a failed
/// attempt, the hosts that are gone — those that stopped answering while it ran, those whose daemon
/// mpirun said it lost, and those that do not answer a probe now — are left out, and the next attempt
/// gets a hostfile of the rest (written to a temporary directory, removed with `cleanUp`).
///
/// ```swift
/// var hosts = try LaunchHosts(hostfile: "hosts.txt", mpirunArguments: [])
/// let gone = try hosts.leaveOut(failed: outcome, guardian: guardian)   // e.g. ["node2"]
/// let options = hosts.mpirunArguments          // ["--hostfile", "/tmp/…/hostfile-1"]
/// ```
struct LaunchHosts {
    private(set) var current: Hostfile
    let probe: HostProbe
    private let directory: String
    private var written = 0
    /// `--hostfile PATH` for mpirun: the user's file first, then the rewritten ones.
    private(set) var mpirunArguments: [String]

    init(hostfile path: String, mpirunArguments: [String], probeTimeout: Double = 10) throws {
        current = try Hostfile(contentsOf: path)
        probe = HostProbe(mpirunArguments: mpirunArguments, timeout: probeTimeout)
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("lockstep-launch-\(getpid())").path
        self.mpirunArguments = ["--hostfile", path]
    }

    /// The hosts of the current hostfile.
    var names: [String] { current.entries.map(\.name) }

    /// Leaves out the hosts that are gone after `outcome` and returns them (empty when every host
    /// still answers: then a rank failed on a host that is fine, and the hosts stay as they are).
    mutating func leaveOut(failed outcome: MPILauncher.Outcome, guardian: JobGuard) throws -> [String] {
        var gone = guardian.lost.union(outcome.lostDaemons).intersection(names)
        gone.formUnion(probe.unreachable(names.filter { !gone.contains($0) }))
        guard !gone.isEmpty else { return [] }
        current = current.removing(gone)
        guard !current.entries.isEmpty else { return gone.sorted() }
        written += 1
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = directory + "/hostfile-\(written)"
        guard FileManager.default.createFile(atPath: path, contents: Data(current.text.utf8)) else {
            throw HostfileError("cannot write the restart's hostfile \(path)")
        }
        mpirunArguments = ["--hostfile", path]
        return gone.sorted()
    }

    func cleanUp() { try? FileManager.default.removeItem(atPath: directory) }
}
