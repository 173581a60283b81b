import Foundation

/// The live progress line of a run: step, percent done, loss, LR, samples per second, elapsed time and
/// time left.
///
/// On a real terminal (stdout is a TTY and the process was not started by mpirun or srun) it rewrites
/// one line in place. Anywhere else — a file, a pipe, CI, mpirun's forwarded output — it prints plain
/// lines (no carriage return, no escape codes) at a cadence fit for a log: the first update, each new
/// 10 % of the run, at most every `plainInterval` seconds otherwise, and the last step. Only rank 0
/// shows it (`TrainingRun`).
///
/// ```
/// step  120/600   20%  loss 0.4123  lr 0.1  48,210 samples/s  elapsed 0:03  ETA 0:12
/// ```
public final class ProgressLine {
    public let totalSteps: Int
    /// Steps completed before this segment of the run (a resumed run's checkpoint): the ETA counts
    /// only the speed of the steps this process ran.
    public let firstStep: Int
    public let interactive: Bool
    /// Seconds between plain lines that no 10 % milestone asked for.
    public let plainInterval: Double
    private let start = Date()
    private var lastPlain: (time: Date, decile: Int)?

    public init(totalSteps: Int, firstStep: Int = 0, interactive: Bool = ProgressLine.stdoutIsTerminal, plainInterval: Double = 30) {
        self.totalSteps = totalSteps
        self.firstStep = firstStep
        self.interactive = interactive
        self.plainInterval = plainInterval
    }

    /// A terminal a human watches: a TTY, and not a rank of an MPI or Slurm job (their output is forwarded).
    public static var stdoutIsTerminal: Bool {
        let environment = ProcessInfo.processInfo.environment
        let launched = ["OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK", "SLURM_PROCID"].contains { environment[$0] != nil }
        return isatty(STDOUT_FILENO) != 0 && !launched
    }

    /// The text for `step` (1-based count of completed steps).
    public func render(step: Int, loss: Double, learningRate: Double? = nil, samplesPerSecond: Double, extra: String = "") -> String {
        let elapsed = Date().timeIntervalSince(start)
        let ran = step - firstStep
        let remaining = ran > 0 ? elapsed / Double(ran) * Double(totalSteps - step) : 0
        let width = String(totalSteps).count
        let stepText = String(repeating: " ", count: max(0, width - String(step).count)) + String(step)
        let percent = totalSteps > 0 ? 100 * step / totalSteps : 100
        let percentText = String(repeating: " ", count: max(0, 3 - String(percent).count)) + "\(percent)%"
        let lr = learningRate.map { "  lr \(String(format: "%.4g", $0))" } ?? ""
        return "step \(stepText)/\(totalSteps)  \(percentText)  loss \(String(format: "%.4f", loss))\(lr)  "
            + "\(Self.grouped(samplesPerSecond)) samples/s  elapsed \(Self.clock(elapsed))  ETA \(Self.clock(remaining))"
            + (extra.isEmpty ? "" : "  " + extra)
    }

    public func update(step: Int, loss: Double, learningRate: Double? = nil, samplesPerSecond: Double, extra: String = "") {
        if interactive {
            let line = render(step: step, loss: loss, learningRate: learningRate, samplesPerSecond: samplesPerSecond, extra: extra)
            FileHandle.standardOutput.write(Data(("\r\u{1B}[2K" + line).utf8))
            return
        }
        guard shouldPrintPlain(step: step) else { return }
        print(render(step: step, loss: loss, learningRate: learningRate, samplesPerSecond: samplesPerSecond, extra: extra))
    }

    /// The plain-line cadence: first, each new decile, every `plainInterval` seconds, and the last step.
    public func shouldPrintPlain(step: Int, now: Date = Date()) -> Bool {
        let decile = totalSteps > 0 ? 10 * step / totalSteps : 10
        let printed = lastPlain.map { last in
            step >= totalSteps || decile > last.decile || now.timeIntervalSince(last.time) >= plainInterval
        } ?? true
        if printed { lastPlain = (now, decile) }
        return printed
    }

    /// Ends the in-place line so that later output starts on a new line.
    public func finish() {
        if interactive { print("") }
    }

    static func grouped(_ value: Double) -> String {
        let digits = String(Int(value.rounded()))
        var out = ""
        for (i, c) in digits.reversed().enumerated() {
            if i > 0 && i % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return String(out.reversed())
    }

    static func clock(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
                         : String(format: "%d:%02d", s / 60, s % 60)
    }
}
