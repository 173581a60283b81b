/// Misuse of the autograd engine or of an op, reported as one line.
public enum AutogradError: Error, CustomStringConvertible, Equatable {
    case shapeMismatch(op: String, lhs: [Int], rhs: [Int])
    case dtypeMismatch(op: String, lhs: DTypeName, rhs: DTypeName)
    case invalidArgument(op: String, message: String)
    case graphFreed(op: String)
    case inferenceTensorInGraph(op: String)
    case backwardWithoutGrad
    case implicitGradientOfNonScalar(shape: [Int])
    /// A backward rule returned a number of gradients other than its op's number of inputs.
    case wrongGradientCount(op: String, returned: Int, expected: Int)
    /// A custom function's saved tensors were read after its backward had released them.
    case savedTensorsReleased(op: String)

    public typealias DTypeName = String

    public var description: String {
        switch self {
        case let .shapeMismatch(op, lhs, rhs):
            "\(op): shapes \(lhs) and \(rhs) do not fit"
        case let .dtypeMismatch(op, lhs, rhs):
            "\(op): dtypes \(lhs) and \(rhs) differ"
        case let .invalidArgument(op, message):
            "\(op): \(message)"
        case let .graphFreed(op):
            "backward through the graph a second time (at \(op)): its saved tensors were freed after the first backward; pass retainGraph: true to the first backward to keep them"
        case let .inferenceTensorInGraph(op):
            "\(op): a tensor created in inference mode cannot be used in an op recorded for autograd; create it under noGrad instead, or copy it"
        case .backwardWithoutGrad:
            "backward of a tensor that does not require grad and has no grad_fn"
        case let .implicitGradientOfNonScalar(shape):
            "backward needs an explicit gradient for a non-scalar output of shape \(shape)"
        case let .wrongGradientCount(op, returned, expected):
            "\(op): backward returned \(returned) gradient\(returned == 1 ? "" : "s") for \(expected) input\(expected == 1 ? "" : "s"); return one per input, nil where an input needs none"
        case let .savedTensorsReleased(op):
            "\(op): saved tensors read after backward released them; pass retainGraph: true to the backward to keep them"
        }
    }
}
