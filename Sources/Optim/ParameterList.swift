import TensorCore

/// The validated `(name, tensor)` list an optimizer was built from, with the chores every optimizer
/// shares: checking names and dtypes once, checking each gradient before it is used, clearing grads.
struct ParameterList {
    let entries: [(name: String, tensor: Tensor)]

    /// Refuses an empty list, duplicate names or tensors, and non-float parameters, so that `step()`
    /// only has to check the gradients.
    init(_ parameters: [(name: String, tensor: Tensor)], optimizer: String) throws {
        guard !parameters.isEmpty else { throw OptimizerError.emptyParameterList(optimizer: optimizer) }
        var names = Set<String>()
        var objects = Set<ObjectIdentifier>()
        for (name, tensor) in parameters {
            // The same tensor under two names would be updated twice per step.
            guard names.insert(name).inserted, objects.insert(ObjectIdentifier(tensor)).inserted else {
                throw OptimizerError.duplicateParameter(name: name)
            }
            guard tensor.dtype == .float32 || tensor.dtype == .float64 else {
                throw OptimizerError.unsupportedDType(parameter: name, dtype: tensor.dtype)
            }
        }
        entries = parameters
    }

    /// The gradient of parameter `index`, or nil if it has none; throws if it does not match.
    func gradient(_ index: Int) throws -> Tensor? {
        let (name, param) = entries[index]
        guard let grad = param.grad else { return nil }
        guard grad.dtype == param.dtype, grad.shape == param.shape else {
            throw OptimizerError.gradientMismatch(parameter: name, parameterShape: param.shape,
                                                  parameterDType: param.dtype,
                                                  gradShape: grad.shape, gradDType: grad.dtype)
        }
        return grad
    }

    /// All gradients are checked before any parameter moves, so a bad gradient never leaves the
    /// model half-updated.
    func gradients() throws -> [Tensor?] {
        try entries.indices.map(gradient)
    }

    func zeroGrad(setToNil: Bool) {
        for (_, param) in entries {
            if setToNil {
                param.grad = nil
            } else {
                param.grad?.fill(0)
            }
        }
    }
}
