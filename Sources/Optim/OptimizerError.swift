import TensorCore

/// Everything that can go wrong when building, stepping or restoring an optimizer.
///
/// Every case carries the parameter or slot name, so that a message read in a training log
/// points at the offending tensor without a debugger.
///
/// ```swift
/// do { _ = try SGD(parameters: params, lr: -1) }
/// catch let error as OptimizerError { print(error) }   // "SGD: invalid learning rate -1.0 (must be finite and ≥ 0)"
/// ```
public enum OptimizerError: Error, Equatable, CustomStringConvertible {
    /// A hyper-parameter outside its valid range (`requirement` says what was expected).
    case invalidHyperparameter(optimizer: String, name: String, value: Double, requirement: String)
    /// A combination of hyper-parameters that PyTorch also refuses (Nesterov without momentum, …).
    case invalidCombination(optimizer: String, reason: String)
    /// The optimizer was given no parameters (PyTorch: "optimizer got an empty parameter list").
    case emptyParameterList(optimizer: String)
    /// Two parameters share a name, or one tensor was passed twice.
    case duplicateParameter(name: String)
    /// Only float32 and float64 parameters can be optimized.
    case unsupportedDType(parameter: String, dtype: DType)
    /// The parameters do not all have one dtype (they share one flat buffer).
    case mixedDTypes(parameter: String, dtype: DType, first: DType)
    /// The shard `[lower, upper)` does not lie within the `count` elements of the flat buffer.
    case invalidShard(optimizer: String, lower: Int, upper: Int, count: Int)
    /// A parameter's `.grad` has another dtype or shape than the parameter.
    case gradientMismatch(parameter: String, parameterShape: [Int], parameterDType: DType,
                          gradShape: [Int], gradDType: DType)
    /// `loadState` found no tensor for a slot this optimizer needs.
    case missingState(name: String)
    /// `loadState` found a slot with the wrong shape or dtype.
    case stateMismatch(name: String, expectedShape: [Int], expectedDType: DType,
                       foundShape: [Int], foundDType: DType)
    /// `loadState` found an `optimizer.*` tensor this optimizer does not know (another optimizer's
    /// state, another model's parameter, or momentum state loaded into momentum-free SGD).
    case unexpectedState(name: String)
    /// A step counter in the loaded state is negative.
    case invalidStepCount(name: String, value: Double)

    public var description: String {
        switch self {
        case let .invalidHyperparameter(optimizer, name, value, requirement):
            return "\(optimizer): invalid \(name) \(value) (\(requirement))"
        case let .invalidCombination(optimizer, reason):
            return "\(optimizer): \(reason)"
        case let .emptyParameterList(optimizer):
            return "\(optimizer): got an empty parameter list"
        case let .duplicateParameter(name):
            return "parameter '\(name)' appears more than once in the optimizer's parameter list"
        case let .unsupportedDType(parameter, dtype):
            return "parameter '\(parameter)' has dtype \(dtype); optimizers support float32 and float64"
        case let .mixedDTypes(parameter, dtype, first):
            return "parameter '\(parameter)' has dtype \(dtype) but the first parameter has \(first); "
                + "an optimizer's parameters share one flat buffer of one dtype"
        case let .invalidShard(optimizer, lower, upper, count):
            return "\(optimizer): shard \(lower)..<\(upper) is outside the \(count) parameter elements"
        case let .gradientMismatch(parameter, pShape, pType, gShape, gType):
            return "gradient of '\(parameter)' is \(gType)\(gShape) but the parameter is \(pType)\(pShape)"
        case let .missingState(name):
            return "optimizer state '\(name)' is missing from the loaded tensors"
        case let .stateMismatch(name, eShape, eType, fShape, fType):
            return "optimizer state '\(name)' is \(fType)\(fShape), expected \(eType)\(eShape)"
        case let .unexpectedState(name):
            return "optimizer state '\(name)' is not a slot of this optimizer "
                + "(different optimizer, model, or momentum setting?)"
        case let .invalidStepCount(name, value):
            return "optimizer state '\(name)' holds step count \(value); expected a non-negative integer"
        }
    }
}
