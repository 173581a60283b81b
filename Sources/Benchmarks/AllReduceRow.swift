import Foundation
import Distributed

/// One size and mode of `lockstep bench allreduce`, as printed, written to CSV and to JSON.
///
/// Bandwidths follow nccl-tests: `algbw = bytes / time`, `busbw = algbw · 2(W−1)/W` (what each
/// link must carry for an allreduce, so that it compares across world sizes).
///
/// ```swift
/// print(row.line)   // allreduce mode=deterministic ranks=2 bytes=4096 time_us=3.6 min_us=3.1 max_us=9.0 …
/// ```
public struct AllReduceRow: Sendable, Codable, Equatable {
    public let mode: String
    public let ranks: Int
    public let bytes: Int
    public let medianMicroseconds: Double
    public let minMicroseconds: Double
    public let maxMicroseconds: Double
    public let repetitions: Int
    /// The measured reduction cost γ at this size, ns per byte.
    public let reductionNanosecondsPerByte: Double

    public init(mode: ReductionMode, ranks: Int, bytes: Int, microseconds sorted: [Double], reductionNanosecondsPerByte: Double) {
        self.mode = mode.rawValue
        self.ranks = ranks
        self.bytes = bytes
        medianMicroseconds = sorted[sorted.count / 2]
        minMicroseconds = sorted.first!
        maxMicroseconds = sorted.last!
        repetitions = sorted.count
        self.reductionNanosecondsPerByte = reductionNanosecondsPerByte
    }

    /// GB/s (10⁹ bytes per second) of the median time.
    public var algorithmBandwidth: Double { Double(bytes) / medianMicroseconds / 1e3 }
    public var busBandwidth: Double { algorithmBandwidth * 2 * Double(ranks - 1) / Double(ranks) }

    public static let csvHeader = "mode,ranks,bytes,time_us,min_us,max_us,algbw_GBps,busbw_GBps,repetitions,gamma_ns_per_byte"

    public var csv: String {
        [mode, String(ranks), String(bytes), f(medianMicroseconds, 2), f(minMicroseconds, 2), f(maxMicroseconds, 2),
         f(algorithmBandwidth, 4), f(busBandwidth, 4), String(repetitions), f(reductionNanosecondsPerByte, 5)].joined(separator: ",")
    }

    public var line: String {
        "allreduce mode=\(mode) ranks=\(ranks) bytes=\(bytes) time_us=\(f(medianMicroseconds, 1)) min_us=\(f(minMicroseconds, 1)) "
            + "max_us=\(f(maxMicroseconds, 1)) algbw_GBps=\(f(algorithmBandwidth, 3)) busbw_GBps=\(f(busBandwidth, 3))"
    }
}

func f(_ x: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", x) }
