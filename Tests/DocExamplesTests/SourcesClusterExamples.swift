import Foundation
import Testing
import Training
@testable import LockstepCLI

// The ```swift blocks of the `///` comments of `lockstep launch --hostfile` (issue 21), each compiled
// inside a function; the hostfile's is also run, as its values are stated.

enum ClusterExamples {
    static func hostfile() throws -> (names: [String], slots: Int, rest: String) {
        let hosts = try Hostfile(text: "node1 slots=2\nnode2   # spare\n", path: "hosts.txt")
        let names = hosts.entries.map(\.name)       // ["node1", "node2"]
        let slots = hosts.slots                     // 3
        let rest = hosts.removing(["node2"]).text   // "node1 slots=2\n"
        return (names, slots, rest)
    }

    static func hostProbe() {
        let probe = HostProbe(mpirunArguments: ["--mca", "plm_rsh_agent", "launch/cluster-rsh.sh"])
        let silent = probe.unreachable(["lsc-h1", "lsc-h2"])   // [] while both answer; ["lsc-h2"] with its link down
        _ = silent
    }

    static func jobGuard(probe: HostProbe, mpirun: Process) {
        let guardian = JobGuard(killAfter: 30, watching: ["node1", "node2"], probe: probe, lostAfter: 20)
        guardian.watch(mpirun)            // returns when mpirun has exited, killed or not
        let lost = guardian.lost          // ["node2"] if node2 stopped answering
        _ = lost
    }

    static func launchHosts(outcome: MPILauncher.Outcome, guardian: JobGuard) throws {
        var hosts = try LaunchHosts(hostfile: "hosts.txt", mpirunArguments: [])
        let gone = try hosts.leaveOut(failed: outcome, guardian: guardian)   // e.g. ["node2"]
        let options = hosts.mpirunArguments          // ["--hostfile", "/tmp/…/hostfile-1"]
        _ = (gone, options)
    }

    static func failureLeavingRanks() throws {
        struct HostLost: FailureLeavingRanks { var ranksLeft: Int? }
        try RestartSupervisor(maxRestarts: 1).run(ranks: 4) { attempt in
            if attempt.ranks == 4 { throw HostLost(ranksLeft: 2) }   // the restart runs on 2 ranks
        }
    }
}

@Suite("cluster examples")
struct ClusterExampleTests {
    @Test("the hostfile example's values are as stated")
    func hostfileValues() throws {
        let (names, slots, rest) = try ClusterExamples.hostfile()
        #expect(names == ["node1", "node2"] && slots == 3 && rest == "node1 slots=2\n")
    }

    @Test("bad hostfiles are one line each, naming file and line")
    func badHostfiles() {
        for (text, message) in [("node1 slots=0\n", "hosts.txt:1: slots must be a positive number, got 'slots=0'"),
                                ("a\n# c\na slots=2\n", "hosts.txt:3: host 'a' is listed twice"),
                                ("-x\n", "hosts.txt:1: a host name cannot start with '-': '-x'"),
                                ("# nothing\n\n", "hosts.txt: no hosts (one host a line, e.g. 'node1 slots=4')")] {
            #expect(throws: HostfileError.self) { try Hostfile(text: text, path: "hosts.txt") }
            do { _ = try Hostfile(text: text, path: "hosts.txt") } catch { #expect("\(error)" == message) }
        }
    }

    @Test("a failure that lost a host's slots restarts on the ranks it names")
    func ranksLeft() throws {
        var sizes: [Int] = []
        var supervisor = RestartSupervisor(maxRestarts: 1)
        supervisor.announce = { _ in }
        struct HostLost: FailureLeavingRanks { var ranksLeft: Int? }
        try supervisor.run(ranks: 4) { attempt in
            sizes.append(attempt.ranks)
            if attempt.ranks == 4 { throw HostLost(ranksLeft: 2) }
        }
        #expect(sizes == [4, 2])
    }
}
