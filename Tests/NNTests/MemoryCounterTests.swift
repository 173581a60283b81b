import Testing
#if canImport(Glibc)
import Glibc
#endif
import TensorCore
import Autograd
import NN

/// Byte counters of tensor storage, and what activation checkpointing saves.
struct MemoryCounterTests {
    @Test func aMeterCountsWhatItsTaskAllocates() {
        let meter = MemoryMeter()
        var t: Tensor? = meter.track { Tensor.zeros([1000]) }       // 4000 bytes
        let outside = Tensor.zeros([500])                           // not tracked
        #expect(meter.liveBytes == 4000 && meter.peakBytes == 4000)
        let view = meter.track { t!.view([10, 100]) }               // a view allocates nothing
        #expect(meter.liveBytes == 4000)
        meter.track {
            let temporary = Tensor.zeros([250], dtype: .float64)   // 2000 bytes, freed at once
            #expect(meter.liveBytes == 6000)
            _ = temporary
        }
        #expect(meter.liveBytes == 4000 && meter.peakBytes == 6000)
        _ = view
        t = nil
        #expect(meter.liveBytes == 4000)                             // the view still holds the storage
        _ = outside
        meter.resetPeak()
        #expect(meter.peakBytes == meter.liveBytes)
    }

    @Test func anInnerMeterTakesOverTheCounting() {
        let outer = MemoryMeter(), inner = MemoryMeter()
        let kept = outer.track { () -> [Tensor] in
            let a = Tensor.zeros([100])
            let b = inner.track { Tensor.zeros([200]) }
            return [a, b]
        }
        #expect(outer.liveBytes == 400 && inner.liveBytes == 800)
        _ = kept
    }

    @Test func processCountersFollowAllocations() {
        TensorStorage.resetPeak()
        let big = Tensor.zeros([1 << 20])                            // 4 MiB
        #expect(TensorStorage.liveBytes >= 4 << 20)
        #expect(TensorStorage.peakBytes >= 4 << 20)
        _ = big
    }

    /// Three blocks of Linear → BatchNorm → ReLU → Dropout and a head, plain or checkpointed.
    static func model(checkpointed: Bool) -> Sequential {
        let key = RandomKey(seed: 3, stream: .initialization)
        var blocks: [[(name: String?, module: Module)]] = []
        var features = 64
        for b in 0..<3 {
            blocks.append([("fc\(b)", Linear(features, 256, key: key.with(a: UInt32(b)))), ("bn\(b)", BatchNorm1d(256)),
                           ("relu\(b)", ReLU()), ("drop\(b)", Dropout(p: 0.2, layerID: b))])
            features = 256
        }
        let head: (name: String?, module: Module) = ("head", Linear(256, 4, key: key.with(a: 9)))
        if checkpointed {
            return Sequential(blocks.map { ("", Checkpointed(Sequential($0))) as (name: String?, module: Module) } + [head])
        }
        return Sequential(blocks.flatMap { $0 } + [head])
    }

    @Test func checkpointingKeepsLessForBackward() throws {
        let x = Tensor.normal([64, 64], key: RandomKey(seed: 4, stream: .syntheticData))
        let context = SampleContext(seed: 1, step: 0, sampleIndices: Array(0..<64))
        var measured: [(saved: Int, peak: Int, gradients: [Tensor])] = []
        for checkpointed in [false, true] {
            let model = Self.model(checkpointed: checkpointed)
            let meter = MemoryMeter()
            let saved = try meter.track {
                let loss = try SampleContext.$current.withValue(context) { try model(x).pow(2).sum() }
                let saved = meter.liveBytes
                try loss.backward()
                return saved
            }
            measured.append((saved, meter.peakBytes, model.namedParameters().map { $0.tensor.grad! }))
        }
        let (plain, checkpointed) = (measured[0], measured[1])
        // Per block, plain keeps batch norm's normalised input and output, the ReLU output, the
        // dropout mask and output (5 × 64 KB); checkpointed only the block's output.
        #expect(plain.saved > 3 * 5 * 64 * 256 * 4)
        #expect(checkpointed.saved < 4 * 64 * 256 * 4)
        #expect(checkpointed.saved * 3 < plain.saved)
        #expect(checkpointed.peak < plain.peak)
        for (a, b) in zip(plain.gradients, checkpointed.gradients) { #expect(a.bitwiseEqual(b)) }
    }
}

/// Large tensor blocks stay in glibc's heap (`HeapTuning`): freeing and re-allocating a block of the
/// same size — what every training step does — reuses mapped memory instead of mapping it afresh, so
/// touching it again takes no page faults.
@Suite struct HeapTuningTests {
    @Test func largeBlocksAreReusedWithoutPageFaults() throws {
        _ = Tensor.zeros([4])
#if os(Linux)
        #expect(TensorStorage.largeBlocksStayInHeap)
        func minorFaults() -> Int {
            var usage = rusage()
            getrusage(__rusage_who_t(1), &usage)        // RUSAGE_THREAD: this thread only (tests run in parallel)
            return usage.ru_minflt
        }
        _ = Tensor.zeros([1 << 20])                      // 4 MB, zero-filled: maps and touches it once
        let before = minorFaults()
        for _ in 0..<4 { _ = Tensor.zeros([1 << 20]) }   // freed and requested again, touched each time
        let faults = minorFaults() - before
        // Mapped afresh each time, 4 × 1,024 pages would fault in; kept in the heap, none.
        #expect(faults < 256, "\(faults) page faults for 4 reuses of a 4 MB block")
#endif
    }
}
