import Foundation
import Testing
import Training

@Suite("logs that read well in a file: plain lines, sensible cadence, --version")
struct LogTests {
    @Test("plain lines: the first update, each new 10 %, every interval otherwise, and the last step")
    func cadence() {
        let progress = ProgressLine(totalSteps: 1000, interactive: false, plainInterval: 30)
        let t0 = Date()
        var printed: [Int] = []
        for step in stride(from: 10, through: 1000, by: 10) where progress.shouldPrintPlain(step: step, now: t0) {
            printed.append(step)
        }
        #expect(printed == [10, 100, 200, 300, 400, 500, 600, 700, 800, 900, 1000])
        let slow = ProgressLine(totalSteps: 1000, interactive: false, plainInterval: 30)
        #expect(slow.shouldPrintPlain(step: 1, now: t0))
        #expect(!slow.shouldPrintPlain(step: 2, now: t0.addingTimeInterval(29)))
        #expect(slow.shouldPrintPlain(step: 3, now: t0.addingTimeInterval(31)))
        let line = progress.render(step: 250, loss: 0.5, learningRate: 0.01, samplesPerSecond: 12345)
        #expect(line.hasPrefix("step  250/1000   25%  loss 0.5000  lr 0.01  12,345 samples/s  elapsed "))
        #expect(line.contains("ETA "))
    }

    @Test("lockstep --version names the version and the file formats")
    func version() throws {
        let result = try CLI.run(["--version"], in: TT.repositoryRoot.path)
        #expect(result.status == 0)
        #expect(result.stdout.hasPrefix("lockstep ") && result.stdout.contains("lockstep-preprocessing-v1"))
    }

    @Test("under mpirun the log (a file) has progress lines from rank 0 only, no carriage return, no escape code",
          .enabled(if: LockstepProcess.mpirunAvailable, "mpirun is not installed"))
    func mpirunLog() throws {
        let dir = try TT.temporaryDirectory("mpirun-log")
        defer { TT.remove(dir) }
        try TT.write(TT.referenceYAML(samples: 800, steps: 20, evalEvery: 10, logEvery: 5, outputDir: dir + "/out"), to: dir + "/run.yaml")
        let outcome = try LockstepProcess.mpirun(ranks: 2, ["train", "--config", dir + "/run.yaml"])
        #expect(outcome.status == 0, "\(outcome.stderr)")
        #expect(!outcome.stdout.contains("\r") && !outcome.stdout.utf8.contains(0x1B))
        #expect(!outcome.stderr.contains("\r") && !outcome.stderr.utf8.contains(0x1B))
        let progressLines = outcome.stdout.split(separator: "\n").filter { $0.hasPrefix("step ") && $0.contains("samples/s") }
        #expect(progressLines.count == 4, "\(outcome.stdout)")   // steps 5, 10, 15, 20, once each
    }
}
