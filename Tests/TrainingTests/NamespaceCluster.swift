import Foundation

/// The namespace cluster of `launch/cluster-local.sh` for tests: hosts `lsc-h1…` on a bridge, reached
/// by mpirun through `launch/cluster-rsh.sh`. Tests that use it are serialized (the names are global)
/// and take it down when they end, whatever happened (a cluster that is up is replaced).
///
/// ```swift
/// let cluster = try NamespaceCluster(hosts: 3)
/// defer { cluster.down() }
/// try cluster.link("lsc-h3", up: false)
/// ```
struct NamespaceCluster {
    static let script = TT.repositoryRoot.appendingPathComponent("launch/cluster-local.sh").path

    /// Why no cluster can be made here (not root, no `ip`, `ip netns add` refused), or nil when one can.
    static let unavailable: String? = {
        guard getuid() == 0 else { return "namespace cluster: skipped: not root (network namespaces need root)" }
        let name = "lockstep-probe-\(getpid())"
        guard (try? shell(["ip", "netns", "add", name]).status) == 0 else {
            return "namespace cluster: skipped: `ip netns add` failed here (no iproute2, or namespaces not allowed)"
        }
        _ = try? shell(["ip", "netns", "del", name])
        guard LockstepProcess.mpirunAvailable else { return "namespace cluster: skipped: mpirun not found" }
        return nil
    }()

    let hosts: [String]
    /// The options mpirun needs for the cluster (the hostfile included), one per element.
    let mpirunArguments: [String]
    let hostfile: String

    init(hosts count: Int, rate: String? = nil) throws {
        let up = try Self.shell(["bash", Self.script, "up", String(count)] + (rate.map { [$0] } ?? []))
        guard up.status == 0 else { throw ClusterError(description: "cluster-local.sh up \(count) failed: \(up.output)") }
        let directory = "/run/lockstep-cluster"
        mpirunArguments = try String(contentsOfFile: directory + "/mpirun-args", encoding: .utf8)
            .split(separator: "\n").map(String.init)
        hostfile = directory + "/hostfile"
        hosts = (1...count).map { "lsc-h\($0)" }
    }

    /// The cluster's mpirun options without the hostfile, as `lockstep launch --mpirun-arg`s.
    var launchArguments: [String] {
        var options = mpirunArguments
        if let index = options.firstIndex(of: "--hostfile") { options.removeSubrange(index...index + 1) }
        return options.map { "--mpirun-arg=" + $0 }
    }

    func down() { _ = try? Self.shell(["bash", Self.script, "down"]) }

    /// Pulls or plugs back `host`'s cable.
    func link(_ host: String, up: Bool) throws {
        let result = try Self.shell(["bash", Self.script, "link", host, up ? "up" : "down"])
        guard result.status == 0 else { throw ClusterError(description: "link \(host) failed: \(result.output)") }
    }

    /// SIGKILL to every process in `host`'s namespace (its daemon and ranks); how many there were.
    @discardableResult
    func killProcesses(on host: String) throws -> Int {
        let pids = try Self.shell(["ip", "netns", "pids", host]).output.split(whereSeparator: \.isNewline).compactMap { pid_t($0) }
        for pid in pids where kill(pid, SIGKILL) != 0 && errno != ESRCH {
            throw ClusterError(description: "kill \(pid) on \(host) failed: errno \(errno)")
        }
        return pids.count
    }

    struct ClusterError: Error, CustomStringConvertible { let description: String }

    /// Runs a command to its end (each one here takes well under a second) and returns its status and
    /// combined output.
    static func shell(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}

/// A process run to its end with a bound, its output in files, and a hook polled while it runs
/// (to pull a cable once training has checkpointed, and to time when the output says something).
enum ClusterJob {
    struct Outcome {
        var status: Int32
        var stderr: String
        var seconds: Double
        var timedOut: Bool
    }

    /// `executable arguments…` in `directory`; `poll(seconds, stderr so far)` every 50 ms. A job still
    /// running after `timeout` s is killed (with its process group) and reported as timed out.
    static func run(_ executable: String, _ arguments: [String], in directory: String, timeout: Double,
                    poll: (Double, String) -> Void = { _, _ in }) throws -> Outcome {
        let err = directory + "/job-\(UUID().uuidString).stderr"
        _ = FileManager.default.createFile(atPath: err, contents: nil)
        defer { TT.remove(err) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: err))
        var environment = ProcessInfo.processInfo.environment
        environment["OMPI_MCA_pml"] = "ob1"
        environment["OPENBLAS_NUM_THREADS"] = "1"
        process.environment = environment
        let start = Date()
        try process.run()
        var timedOut = false
        while process.isRunning {
            let elapsed = Date().timeIntervalSince(start)
            if elapsed > timeout {
                timedOut = true
                kill(-process.processIdentifier, SIGKILL)
                kill(process.processIdentifier, SIGKILL)
                break
            }
            poll(elapsed, (try? String(contentsOfFile: err, encoding: .utf8)) ?? "")
            Thread.sleep(forTimeInterval: 0.05)
        }
        process.waitUntilExit()
        return Outcome(status: process.terminationStatus, stderr: (try? String(contentsOfFile: err, encoding: .utf8)) ?? "",
                       seconds: Date().timeIntervalSince(start), timedOut: timedOut)
    }
}
