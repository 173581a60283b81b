import Foundation

/// Runs python3 for interop tests: a module is imported, or installed with pip when missing (the
/// issue asks for tensorboard to be installed by the test command); tests skip with a message only
/// when neither works.
enum PythonTools {
    struct Output { var status: Int32; var stdout: String; var stderr: String }

    static func run(_ arguments: [String], timeout: Double = 600) -> Output? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3"] + arguments
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("py-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("out"), err = dir.appendingPathComponent("err")
        FileManager.default.createFile(atPath: out.path, contents: nil)
        FileManager.default.createFile(atPath: err.path, contents: nil)
        guard let outHandle = try? FileHandle(forWritingTo: out), let errHandle = try? FileHandle(forWritingTo: err) else { return nil }
        process.standardOutput = outHandle
        process.standardError = errHandle
        guard (try? process.run()) != nil else { return nil }
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning { process.terminate(); process.waitUntilExit() }
        try? outHandle.close()
        try? errHandle.close()
        return Output(status: process.terminationStatus,
                      stdout: (try? String(contentsOf: out, encoding: .utf8)) ?? "",
                      stderr: (try? String(contentsOf: err, encoding: .utf8)) ?? "")
    }

    static func imports(_ module: String) -> Bool {
        run(["-c", "import \(module)"], timeout: 120)?.status == 0
    }

    /// Whether `module` can be imported, installing `package` with pip first if it cannot.
    static func ensure(_ module: String, package: String) -> Bool {
        if imports(module) { return true }
        _ = run(["-m", "pip", "install", "-q", package])
        return imports(module)
    }

    static let hasTensorBoard = ensure("tensorboard.backend.event_processing.event_accumulator", package: "tensorboard")
    /// torch is large: it is used when present, never installed by the tests.
    static let hasTorch = imports("torch") && imports("numpy") && imports("yaml")
}
