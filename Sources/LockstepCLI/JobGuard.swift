import Foundation

/// Keeps an mpirun job from outliving its failure. Open MPI 4.1 ends a job when a rank aborts or its
/// daemon's connection breaks, but it then waits for every daemon to confirm, and a daemon on a host
/// whose link went down never does: mpirun waited there for good (issue 21). So once a failure is
/// reported (a rank's `error: …`, mpirun's banner) or a host of the job stops answering, mpirun has
/// `killAfter` seconds to end by itself; after that its process group is killed (the daemons on the
/// hosts that still answer then lose their connection to it and end their ranks).
///
/// With hosts to watch, a thread probes them through the rsh agent (`HostProbe`) every
/// `lostAfter / 4` s; a host that has not answered for `lostAfter` s is lost. A link that comes back
/// sooner (a flap) is ridden out: TCP retransmits and the job goes on.
///
/// ```swift
/// let guardian = JobGuard(killAfter: 30, watching: ["node1", "node2"], probe: probe, lostAfter: 20)
/// guardian.watch(mpirun)            // returns when mpirun has exited, killed or not
/// let lost = guardian.lost          // ["node2"] if node2 stopped answering
/// ```
final class JobGuard: @unchecked Sendable {
    let killAfter: Double
    let hosts: [String]
    let probe: HostProbe?
    let lostAfter: Double
    /// Says what the guard does, in one line (standard error by default).
    var announce: @Sendable (String) -> Void = { line in FileHandle.standardError.write(Data(("lockstep launch: " + line + "\n").utf8)) }

    // Shared between the reader of mpirun's output, the probing thread and `watch`: under `lock`.
    private let lock = NSLock()
    private var failedAt: Date?
    private var lostHosts: Set<String> = []
    private var killedGroup = false
    private var done = false

    init(killAfter: Double, watching hosts: [String] = [], probe: HostProbe? = nil, lostAfter: Double = 20) {
        (self.killAfter, self.hosts, self.probe, self.lostAfter) = (killAfter, hosts, probe, lostAfter)
    }

    /// The hosts that stopped answering while the job ran.
    var lost: Set<String> { lock.withLock { lostHosts } }
    /// Whether the guard killed mpirun (it had not ended `killAfter` s after the failure).
    var killed: Bool { lock.withLock { killedGroup } }

    /// A failure was reported: the clock starts (the first report counts).
    func failureReported() {
        lock.withLock { if failedAt == nil { failedAt = Date() } }
    }

    /// Waits until `process` (running mpirun) exits, killing its process group once it has outlived a
    /// failure by `killAfter` s.
    func watch(_ process: Process) {
        if probe != nil && !hosts.isEmpty {
            let prober = Thread { [self] in probeUntilDone() }
            prober.name = "host probe"
            prober.start()
        }
        defer { lock.withLock { done = true } }
        while process.isRunning {
            Thread.sleep(forTimeInterval: 0.1)
            guard let since = lock.withLock({ failedAt }), Date().timeIntervalSince(since) > killAfter, process.isRunning else { continue }
            announce("mpirun has not ended \(Int(killAfter)) s after the failure; killing its process group")
            lock.withLock { killedGroup = true }
            Self.killGroup(of: process.processIdentifier)
            process.waitUntilExit()
        }
    }

    /// SIGKILL to `pid`'s process group when it leads one of its own (mpirun does: it must not take
    /// this process along), else to `pid` alone.
    static func killGroup(of pid: pid_t) {
        let group = getpgid(pid)
        if group == pid && group != getpgrp() {
            if kill(-group, SIGKILL) != 0 && errno != ESRCH { kill(pid, SIGKILL) }
        } else {
            kill(pid, SIGKILL)
        }
    }

    private func probeUntilDone() {
        guard let probe else { return }
        var lastAnswer = Dictionary(uniqueKeysWithValues: hosts.map { ($0, Date()) })
        let interval = min(30, max(1, lostAfter / 4))
        while !lock.withLock({ done }) {
            let watched = hosts.filter { !lock.withLock { lostHosts }.contains($0) }
            let silent = probe.unreachable(watched)
            let now = Date()
            for host in watched {
                if !silent.contains(host) { lastAnswer[host] = now; continue }
                let quiet = now.timeIntervalSince(lastAnswer[host] ?? now)
                guard quiet >= lostAfter, !lock.withLock({ done }) else { continue }
                lock.withLock { lostHosts.insert(host) }
                announce("host \(host) has not answered for \(Int(quiet)) s (limit \(Int(lostAfter)) s); it is lost, and the job ends")
                failureReported()
            }
            let deadline = Date().addingTimeInterval(interval)
            while Date() < deadline && !lock.withLock({ done }) { Thread.sleep(forTimeInterval: 0.1) }
        }
    }
}
