import Foundation

/// Asks whether the hosts of a job still answer, the way mpirun reaches them: through its rsh agent
/// (`AGENT HOST true`, e.g. `ssh -o BatchMode=yes -o ConnectTimeout=5 node2 true`), each probe
/// bounded in time. `lockstep launch --hostfile` uses it while a job runs (a host that stops
/// answering ends the job, instead of leaving mpirun to wait for its daemon forever) and after a
/// failure (the restart leaves out the hosts that are gone).
///
/// ```swift
/// let probe = HostProbe(mpirunArguments: ["--mca", "plm_rsh_agent", "launch/cluster-rsh.sh"])
/// let silent = probe.unreachable(["lsc-h1", "lsc-h2"])   // [] while both answer; ["lsc-h2"] with its link down
/// ```
struct HostProbe {
    /// The agent and its options, before the host name.
    var agent: [String]
    /// How long one probe may take before the host counts as not answering.
    var timeout: Double

    /// The agent mpirun will use: `--mca plm_rsh_agent` (or `orte_rsh_agent`) among its arguments,
    /// else `OMPI_MCA_plm_rsh_agent`, else ssh. Open MPI's value may list alternatives (`ssh : rsh`):
    /// the first one found is the one it takes.
    init(mpirunArguments: [String], environment: [String: String] = ProcessInfo.processInfo.environment, timeout: Double = 10) {
        var value = environment["OMPI_MCA_plm_rsh_agent"] ?? environment["OMPI_MCA_orte_rsh_agent"]
        for index in mpirunArguments.indices.dropLast(2)
        where ["--mca", "-mca"].contains(mpirunArguments[index])
            && ["plm_rsh_agent", "orte_rsh_agent"].contains(mpirunArguments[index + 1]) {
            value = mpirunArguments[index + 2]
        }
        let alternatives = (value ?? "ssh : rsh").components(separatedBy: ":").map {
            $0.split(separator: " ").map(String.init)
        }.filter { !$0.isEmpty }
        let chosen = alternatives.first { words in
            words[0].contains("/") ? FileManager.default.isExecutableFile(atPath: words[0]) : MPILauncher.which(words[0]) != nil
        } ?? alternatives.first ?? ["ssh"]
        // ssh must neither ask for a password nor wait the system's connect timeout (minutes).
        let isSSH = URL(fileURLWithPath: chosen[0]).lastPathComponent == "ssh"
        agent = isSSH ? chosen + ["-o", "BatchMode=yes", "-o", "ConnectTimeout=\(max(1, Int(timeout) - 1))"] : chosen
        self.timeout = timeout
    }

    /// Whether `host` is this machine, which mpirun reaches without the agent: it always answers.
    static func isLocal(_ host: String) -> Bool {
        if ["localhost", "127.0.0.1", "::1"].contains(host) { return true }
        var name = [CChar](repeating: 0, count: 256)
        guard gethostname(&name, name.count) == 0 else { return false }
        let own = String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return host == own || host.split(separator: ".").first.map(String.init) == own
    }

    /// Whether `host` runs `true` through the agent within the timeout.
    func answers(_ host: String) -> Bool {
        if Self.isLocal(host) { return true }
        guard let executable = agent[0].contains("/") ? agent[0] : MPILauncher.which(agent[0]) else { return false }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = Array(agent.dropFirst()) + [host, "true"]
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { return false }
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        if process.isRunning {
            // An agent that hangs is a host that does not answer; it must not outlive the probe.
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            return false
        }
        return process.terminationReason == .exit && process.terminationStatus == 0
    }

    /// The hosts among `hosts` that do not answer, probed at the same time (one timeout in all: a
    /// thread each, as the probes mostly wait).
    func unreachable(_ hosts: [String]) -> Set<String> {
        let silent = SilentHosts()
        let group = DispatchGroup()
        for host in hosts {
            group.enter()
            Thread { if !answers(host) { silent.insert(host) }; group.leave() }.start()
        }
        group.wait()
        return silent.hosts
    }

    /// The hosts that did not answer, filled by the probing threads.
    private final class SilentHosts: @unchecked Sendable {
        private let lock = NSLock()
        private var set: Set<String> = []
        func insert(_ host: String) { lock.withLock { _ = set.insert(host) } }
        var hosts: Set<String> { lock.withLock { set } }
    }
}
