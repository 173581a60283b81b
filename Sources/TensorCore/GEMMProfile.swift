import Foundation
import Synchronization

/// Records the BLAS GEMMs that one task makes inside `track { }`: each call's shape, transposes,
/// leading dimensions and `beta`, and the nanoseconds it took — what a benchmark needs to say how much
/// of a training step is GEMM, and to replay exactly those GEMMs on their own (`replay`).
///
/// Outside a `track` scope a GEMM pays one relaxed atomic load for this. Inside one, two clock reads
/// (tens of nanoseconds) per call, so time steps without a profile and profile them separately.
/// Profiles do not nest: an inner `track` takes over the recording until it returns.
///
/// ```swift
/// let profile = GEMMProfile()
/// try profile.track { try trainer.step() }
/// print(profile.calls.count, profile.nanoseconds)          // GEMMs of the step, time inside them
/// let replayed = profile.replay(repetitions: 5)           // the same GEMMs back to back: ns per pass
/// ```
public final class GEMMProfile: @unchecked Sendable {
    /// One `cblas_?gemm` call (row-major).
    public struct Call: Hashable, Sendable {
        public let transposeA: Bool, transposeB: Bool
        public let m: Int, n: Int, k: Int
        public let lda: Int, ldb: Int, ldc: Int
        public let beta: Double
        public let dtype: DType
        /// `2·m·n·k`.
        public var flops: Double { 2 * Double(m) * Double(n) * Double(k) }
    }

    private let lock = Mutex<(calls: [Call], nanoseconds: [UInt64])>(([], []))

    public init() {}

    /// The calls recorded so far, in order.
    public var calls: [Call] { lock.withLock { $0.calls } }
    /// Each recorded call's duration, in order.
    public var durations: [UInt64] { lock.withLock { $0.nanoseconds } }
    /// The time spent inside the recorded calls.
    public var nanoseconds: UInt64 { lock.withLock { $0.nanoseconds.reduce(0, +) } }
    /// The floating-point operations of the recorded calls.
    public var flops: Double { calls.reduce(0) { $0 + $1.flops } }

    /// Forgets what was recorded.
    public func reset() { lock.withLock { $0 = ([], []) } }

    /// Runs `body`, recording the GEMMs it makes on this task.
    public func track<R>(_ body: () throws -> R) rethrows -> R {
        Self.active.wrappingAdd(1, ordering: .relaxed)
        defer { Self.active.wrappingSubtract(1, ordering: .relaxed) }
        return try Self.$current.withValue(self, operation: body)
    }

    /// Calls the recorded GEMMs back to back `repetitions` times on preallocated operands of their
    /// sizes (values 0.5 and 0.25, each call with its own `beta`), after one untimed pass; returns the
    /// median nanoseconds of one pass over all of them.
    public func replay(repetitions: Int = 5) -> Double {
        let calls = self.calls
        guard !calls.isEmpty else { return 0 }
        let floats = calls.contains { $0.dtype == .float32 }, doubles = calls.contains { $0.dtype == .float64 }
        let sizes = calls.map { c in
            (a: (c.transposeA ? c.k : c.m) * c.lda, b: (c.transposeB ? c.n : c.k) * c.ldb, c: c.m * c.ldc)
        }
        let largest = sizes.reduce((a: 1, b: 1, c: 1)) { (max($0.a, $1.a), max($0.b, $1.b), max($0.c, $1.c)) }
        func pass<T: TensorScalar>(_: T.Type, _ a: UnsafePointer<T>, _ b: UnsafePointer<T>, _ c: UnsafeMutablePointer<T>) {
            for call in calls where call.dtype == T.dtype {
                gemmCall(transA: call.transposeA, transB: call.transposeB, m: call.m, n: call.n, k: call.k, alpha: 1,
                         a: a, lda: call.lda, b: b, ldb: call.ldb, beta: T(call.beta), c: c, ldc: call.ldc)
            }
        }
        let fa = Tensor.full([floats ? largest.a : 0], 0.5), fb = Tensor.full([floats ? largest.b : 0], 0.25)
        let fc = Tensor.zeros([floats ? largest.c : 0])
        let da = Tensor.full([doubles ? largest.a : 0], 0.5, dtype: .float64), db = Tensor.full([doubles ? largest.b : 0], 0.25, dtype: .float64)
        let dc = Tensor.zeros([doubles ? largest.c : 0], dtype: .float64)
        func once() {
            if floats { pass(Float.self, fa.floats, fb.floats, fc.floats) }
            if doubles { pass(Double.self, da.doubles, db.doubles, dc.doubles) }
        }
        once()
        var times: [Double] = []
        for _ in 0..<max(repetitions, 1) {
            let start = DispatchTime.now().uptimeNanoseconds
            once()
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start))
        }
        return times.sorted()[times.count / 2]
    }

    // MARK: Used by the GEMM wrapper

    @TaskLocal static var current: GEMMProfile?
    private static let active = Atomic<Int>(0)
    static var anyActive: Bool { active.load(ordering: .relaxed) > 0 }

    func record(_ call: Call, nanoseconds: UInt64) {
        lock.withLock { $0.calls.append(call); $0.nanoseconds.append(nanoseconds) }
    }
}
