import TensorCore

/// What a checkpoint must contain for one tensor: its name, shape and dtype. A model's list of specs
/// (its state dict) is what a loaded checkpoint is validated against before any value is copied.
///
/// ```swift
/// let expected = [TensorSpec(name: "layer1.weight", shape: [64, 20], dtype: .float32)]
/// try archive.validate(against: expected, source: path)
/// // run/model.safetensors: tensor 'layer1.weight' has shape [32, 20], expected [64, 20]
/// ```
public struct TensorSpec: Sendable, Hashable, CustomStringConvertible {
    public var name: String
    public var shape: [Int]
    public var dtype: DType

    public init(name: String, shape: [Int], dtype: DType) {
        self.name = name
        self.shape = shape
        self.dtype = dtype
    }

    /// The spec that `tensor` satisfies under `name`.
    public init(name: String, of tensor: Tensor) {
        self.init(name: name, shape: tensor.shape, dtype: tensor.dtype)
    }

    /// `'fc.weight' F32 [10, 4]`
    public var description: String { "\(quoted(name)) \(dtype.safetensorsName) \(describe(shape: shape))" }
}

extension SafetensorsArchive {
    /// The spec of each tensor, in file order.
    public var specs: [TensorSpec] { tensors.map { TensorSpec(name: $0.name, of: $0.tensor) } }

    /// Every difference from `expected`, one line each: missing tensors, wrong shapes and wrong dtypes
    /// in the order of `expected`, then unexpected tensors in file order. Empty when the archive holds
    /// exactly the expected tensors (in any order).
    public func mismatches(against expected: [TensorSpec]) -> [String] {
        var actual: [String: Tensor] = [:]
        for (name, tensor) in tensors where actual[name] == nil { actual[name] = tensor }
        var problems: [String] = []
        var wanted = Set<String>()
        for spec in expected {
            wanted.insert(spec.name)
            guard let tensor = actual[spec.name] else {
                problems.append("missing tensor \(quoted(spec.name)) (expected \(spec.dtype.safetensorsName) \(describe(shape: spec.shape)))")
                continue
            }
            if tensor.shape != spec.shape {
                problems.append("tensor \(quoted(spec.name)) has shape \(describe(shape: tensor.shape)), expected \(describe(shape: spec.shape))")
            }
            if tensor.dtype != spec.dtype {
                problems.append("tensor \(quoted(spec.name)) has dtype \(tensor.dtype.safetensorsName), expected \(spec.dtype.safetensorsName)")
            }
        }
        for (name, tensor) in tensors where !wanted.contains(name) {
            problems.append("unexpected tensor \(TensorSpec(name: name, of: tensor))")
        }
        return problems
    }

    /// Throws a `.mismatch` error unless the archive holds exactly the `expected` tensors. The message
    /// is one line: the first three problems, and how many more there are.
    public func validate(against expected: [TensorSpec], source: String) throws {
        let problems = mismatches(against: expected)
        guard !problems.isEmpty else { return }
        var message = problems.prefix(3).joined(separator: "; ")
        if problems.count > 3 { message += "; and \(problems.count - 3) more" }
        throw CheckpointError(.mismatch, source: source, message)
    }

    /// `validate(against:source:)` for a list of `(name, shape, dtype)` tuples.
    public func validate(against expected: [(name: String, shape: [Int], dtype: DType)], source: String) throws {
        try validate(against: expected.map { TensorSpec(name: $0.name, shape: $0.shape, dtype: $0.dtype) }, source: source)
    }
}
