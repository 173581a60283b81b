import Foundation
import Testing
import Training

@Suite("TensorBoard event files and timestamped metrics")
struct TensorBoardTests {
    @Test("CRC-32C test vectors and TFRecord framing")
    func crc() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)                 // the standard check value
        #expect(CRC32C.checksum([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)          // RFC 3720 B.4
        #expect(CRC32C.checksum([UInt8](repeating: 0xFF, count: 32)) == 0x62A8_AB43)
        let framed = TensorBoardWriter.frame([1, 2, 3])
        #expect(framed.count == 8 + 4 + 3 + 4)
        #expect(Array(framed[0..<8]) == [3, 0, 0, 0, 0, 0, 0, 0])
    }

    @Test("metrics.jsonl records carry a UTC timestamp and elapsed seconds")
    func timestamps() throws {
        let dir = try TT.temporaryDirectory("timestamps")
        defer { TT.remove(dir) }
        let (_, _, out) = try PatientsCSV.train(in: dir, steps: 20)
        let records = try String(contentsOfFile: out + "/metrics.jsonl", encoding: .utf8).split(separator: "\n")
            .compactMap { try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(!records.isEmpty)
        var previous = 0.0
        for record in records {
            let time = try #require(record["time"] as? String)
            #expect(time.hasSuffix("Z") && time.count == 24, "\(time)")
            let elapsed = try #require(record["elapsed_seconds"] as? Double)
            #expect(elapsed >= previous)
            previous = elapsed
        }
    }

    @Test("TensorBoard's own EventAccumulator reads every scalar back",
          .enabled(if: PythonTools.hasTensorBoard, "python3 with the tensorboard package (pip install tensorboard) is not available"))
    func readBack() throws {
        let dir = try TT.temporaryDirectory("tensorboard")
        defer { TT.remove(dir) }
        let (_, _, out) = try PatientsCSV.train(in: dir, steps: 40) { $0.tensorboard = true }
        let script = """
            import json, sys
            from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
            acc = EventAccumulator(sys.argv[1]); acc.Reload()
            print(json.dumps({tag: [[e.step, e.value] for e in acc.Scalars(tag)] for tag in acc.Tags()["scalars"]}))
            """
        let result = try #require(PythonTools.run(["-c", script, out + "/tensorboard"]))
        #expect(result.status == 0, "\(result.stderr)")
        let scalars = try #require(JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: [[Double]]])
        #expect(Set(scalars.keys) == ["train/loss", "train/lr", "train/samples_per_second", "validation/loss",
                                      "validation/accuracy", "validation/auc", "validation/precision", "validation/recall", "validation/f1"])
        let records = try MetricsLog.read(out + "/metrics.jsonl")
        let train = records.compactMap { if case .train(let logged) = $0.event { logged } else { nil } }
        #expect(scalars["train/loss"]?.map { Int($0[0]) } == train.map(\.step))
        for (point, record) in zip(scalars["train/loss"] ?? [], train) {
            #expect(Float(point[1]) == Float(record.loss.number))   // simple_value is float32
        }
        let evals = records.compactMap { if case .eval(let eval) = $0.event { eval } else { nil } }
        #expect(scalars["validation/auc"]?.map { Int($0[0]) } == evals.map(\.step))
        for (point, record) in zip(scalars["validation/auc"] ?? [], evals) {
            #expect(Float(point[1]) == Float(try #require(record.validation.auc)))
        }
    }
}
