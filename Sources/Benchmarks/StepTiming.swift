import Foundation
import Training

/// How the step benchmarks time a trainer: 3 warm-up steps, one probe step to size the blocks, then
/// 5 blocks of steps for about `seconds` in all; each block's microseconds per step, in order (the
/// benchmarks report the median, `sorted()[2]`).
func blockMicrosecondsPerStep(_ trainer: Trainer, seconds: Double) throws -> [Double] {
    for _ in 0..<3 { try trainer.step() }
    let probeStart = DispatchTime.now().uptimeNanoseconds
    try trainer.step()
    let probe = Double(DispatchTime.now().uptimeNanoseconds - probeStart) / 1e9
    let perBlock = max(1, Int(seconds / 5 / max(probe, 1e-7)))
    var blocks: [Double] = []
    for _ in 0..<5 {
        let start = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<perBlock { try trainer.step() }
        blocks.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e3 / Double(perBlock))
    }
    return blocks
}
