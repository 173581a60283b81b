/// `predict` stopped by SIGINT or SIGTERM between chunks: the predictions file was not written (its
/// temporary is removed), and the target keeps whatever it held before.
public struct PredictionInterrupted: Error, CustomStringConvertible {
    public let signal: Int32
    /// Rows scored before the stop (their predictions were discarded with the temporary).
    public let rows: Int
    public let output: String

    /// 130 for SIGINT, 143 for SIGTERM, as a stopped `train`.
    public var exitCode: Int32 { 128 + signal }

    public var description: String {
        "interrupted by \(signalName(signal)) after \(rows) rows; \(output) was not written"
    }
}
