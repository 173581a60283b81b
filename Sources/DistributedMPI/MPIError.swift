import Foundation
import CMPI

/// An MPI call that failed. MPI is started with `MPI_ERRORS_RETURN` on `MPI_COMM_WORLD`, so a failing
/// call returns a code instead of ending the process; every code is checked and becomes this error.
///
/// ```swift
/// do { try comm.sendReceive(send: s, to: 99, receive: r, from: 99) }
/// catch let error as MPIError { print(error) }
/// // MPI_Sendrecv failed: MPI_ERR_RANK: invalid rank (MPI error 6)
/// ```
public struct MPIError: Error, CustomStringConvertible, Sendable {
    /// The MPI function that failed, e.g. `"MPI_Allreduce"`.
    public let call: String
    /// The code it returned; `nil` when Lockstep found the problem itself (e.g. a short message).
    public let code: Int32?
    /// One line: `MPI_Error_string` of the code, or Lockstep's own explanation.
    public let message: String

    /// One line, e.g. `MPI_Sendrecv failed: MPI_ERR_RANK: invalid rank (MPI error 6)`.
    public var description: String { "\(call) failed: \(message)" }

    /// An error from the return code of `call`.
    init(call: String, code: Int32) {
        self.call = call
        self.code = code
        self.message = "\(MPIError.errorString(code)) (MPI error \(code))"
    }

    /// An error that Lockstep detected around `call` (no MPI code).
    init(call: String, message: String) {
        self.call = call
        self.code = nil
        self.message = MPIError.oneLine(message)
    }

    /// `MPI_Error_string(code)`, or a fallback when even that fails.
    static func errorString(_ code: Int32) -> String {
        var text = [CChar](repeating: 0, count: Int(cmpi_max_error_string()) + 1)
        var length: Int32 = 0
        guard MPI_Error_string(code, &text, &length) == MPI_SUCCESS else { return "unknown MPI error" }
        let bytes = text.prefix(max(0, min(Int(length), text.count - 1))).map { UInt8(bitPattern: $0) }
        let string = oneLine(String(decoding: bytes, as: UTF8.self))
        return string.isEmpty ? "unknown MPI error" : string
    }

    static func oneLine(_ text: String) -> String {
        text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }.joined(separator: " ")
    }
}

/// Throws `MPIError` unless `code` is `MPI_SUCCESS`.
@inline(__always)
func check(_ code: Int32, _ call: @autoclosure () -> String) throws {
    if code != MPI_SUCCESS { throw MPIError(call: call(), code: code) }
}
