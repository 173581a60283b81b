import Foundation

/// The live progress line of a run: step, loss, samples per second and time left.
/// On a terminal it rewrites one line in place; otherwise (a log file, CI) it prints a line per update.
///
/// ```
/// step  120/600  loss 0.4123  48,210 samples/s  ETA 0:12
/// ```
public struct ProgressLine {
    public let totalSteps: Int
    /// Steps completed before this segment of the run (a resumed run's checkpoint): the ETA counts
    /// only the speed of the steps this process ran.
    public let firstStep: Int
    private let interactive: Bool
    private let start = Date()

    public init(totalSteps: Int, firstStep: Int = 0, interactive: Bool = isatty(STDOUT_FILENO) != 0) {
        self.totalSteps = totalSteps
        self.firstStep = firstStep
        self.interactive = interactive
    }

    /// The text for `step` (1-based count of completed steps).
    public func render(step: Int, loss: Double, samplesPerSecond: Double, extra: String = "") -> String {
        let elapsed = Date().timeIntervalSince(start)
        let ran = step - firstStep
        let remaining = ran > 0 ? elapsed / Double(ran) * Double(totalSteps - step) : 0
        let width = String(totalSteps).count
        let stepText = String(repeating: " ", count: max(0, width - String(step).count)) + String(step)
        return "step \(stepText)/\(totalSteps)  loss \(String(format: "%.4f", loss))  "
            + "\(Self.grouped(samplesPerSecond)) samples/s  ETA \(Self.clock(remaining))\(extra.isEmpty ? "" : "  " + extra)"
    }

    public func update(step: Int, loss: Double, samplesPerSecond: Double, extra: String = "") {
        let line = render(step: step, loss: loss, samplesPerSecond: samplesPerSecond, extra: extra)
        if interactive {
            FileHandle.standardOutput.write(Data(("\r\u{1B}[2K" + line).utf8))
        } else {
            print(line)
        }
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
