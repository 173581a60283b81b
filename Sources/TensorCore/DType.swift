/// Element type of a tensor. Training runs in float32; gradient checks run the same ops in float64;
/// int64 exists for integer buffers such as BatchNorm's `num_batches_tracked`.
public enum DType: String, Sendable, CaseIterable {
    case float32
    case float64
    case int64

    public var byteWidth: Int {
        switch self {
        case .float32: 4
        case .float64, .int64: 8
        }
    }

    /// The dtype's name in the safetensors header.
    public var safetensorsName: String {
        switch self {
        case .float32: "F32"
        case .float64: "F64"
        case .int64: "I64"
        }
    }

    public init?(safetensorsName: String) {
        guard let match = DType.allCases.first(where: { $0.safetensorsName == safetensorsName }) else { return nil }
        self = match
    }
}
