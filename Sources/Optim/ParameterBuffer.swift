import TensorCore

/// The parameters an optimizer updates, laid out as llm.c lays them out: one contiguous buffer of
/// values and one of gradients, parameter `i` being the elements `segments[i]` of both.
///
/// Parameters that are already consecutive views of one buffer (a model after `FlatParameters`) are
/// used in place, and so are their gradient slots; nothing is copied. Otherwise the parameters are
/// gathered once into a new buffer (each tensor is rebound to its slice, keeping its values, as
/// `FlatParameters` does) and given gradient slots in a new gradient buffer, so that the next
/// backward writes straight into it. A `.grad` found elsewhere (set by hand, or made before the
/// optimizer existed) is copied into its slot at `step()`.
///
/// ```swift
/// let buffer = try ParameterBuffer([("w", w), ("b", b)], optimizer: "SGD")
/// buffer.segments                 // [0..<6, 6..<8]
/// ```
final class ParameterBuffer {
    let entries: [(name: String, tensor: Tensor)]
    let segments: [Range<Int>]
    let values: Tensor          // (P)
    let gradients: Tensor       // (P)
    /// Each parameter's slice of `gradients`, shaped like the parameter.
    let gradientSlots: [Tensor]
    var dtype: DType { values.dtype }
    var count: Int { values.count }

    /// Refuses an empty list, duplicate names or tensors, non-float parameters and mixed dtypes, so
    /// that `step()` only has to check the gradients.
    init(_ parameters: [(name: String, tensor: Tensor)], optimizer: String) throws {
        guard let first = parameters.first else { throw OptimizerError.emptyParameterList(optimizer: optimizer) }
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
            guard tensor.dtype == first.tensor.dtype else {
                throw OptimizerError.mixedDTypes(parameter: name, dtype: tensor.dtype, first: first.tensor.dtype)
            }
        }
        let tensors = parameters.map(\.tensor)
        var offset = 0
        segments = tensors.map { t in
            defer { offset += t.count }
            return offset..<offset + t.count
        }
        entries = parameters
        let dtype = first.tensor.dtype
        if let flat = Self.consecutiveView(tensors) {
            values = flat
        } else {
            let storage = TensorStorage(zeroedByteCount: offset * dtype.byteWidth)
            for (t, segment) in zip(tensors, segments) { t.rebind(to: storage, offset: segment.lowerBound) }
            values = Tensor(storage: storage, shape: [offset], dtype: dtype)
        }
        let slots = tensors.compactMap(\.gradSlot)
        if slots.count == tensors.count, zip(slots, tensors).allSatisfy({ $0.shape == $1.shape }),
           let flat = Self.consecutiveView(slots) {
            gradients = flat
            gradientSlots = slots
        } else {
            let storage = TensorStorage(zeroedByteCount: offset * dtype.byteWidth)
            gradients = Tensor(storage: storage, shape: [offset], dtype: dtype)
            gradientSlots = zip(tensors, segments).map { t, segment in
                Tensor(storage: storage, offset: segment.lowerBound, shape: t.shape, dtype: dtype)
            }
            for (t, slot) in zip(tensors, gradientSlots) { t.gradSlot = slot }
        }
    }

    /// Which parameters have a gradient for this step (`.grad` non-nil). Every gradient is checked
    /// before anything is copied, so a bad one never leaves the buffer half-written; a gradient that
    /// is not already its slot is then copied into it.
    func gatherGradients() throws -> [Bool] {
        var present = [Bool](repeating: false, count: entries.count)
        for (i, (name, param)) in entries.enumerated() {
            guard let grad = param.grad else { continue }
            guard grad.dtype == param.dtype, grad.shape == param.shape else {
                throw OptimizerError.gradientMismatch(parameter: name, parameterShape: param.shape,
                                                      parameterDType: param.dtype,
                                                      gradShape: grad.shape, gradDType: grad.dtype)
            }
            present[i] = true
        }
        for (i, slot) in gradientSlots.enumerated() where present[i] {
            let grad = entries[i].tensor.grad!
            if grad.storage !== slot.storage || grad.offset != slot.offset { slot.copyElements(from: grad) }
        }
        return present
    }

    func zeroGrad(setToNil: Bool) {
        TensorCore.zeroGrad(entries.map(\.tensor), setToNil: setToNil)
    }

    /// One (P) view over `tensors` when they are consecutive views of one storage, in order.
    private static func consecutiveView(_ tensors: [Tensor]) -> Tensor? {
        guard let first = tensors.first else { return nil }
        var next = first.offset
        for t in tensors {
            guard t.storage === first.storage, t.offset == next, t.dtype == first.dtype else { return nil }
            next += t.count
        }
        return Tensor(storage: first.storage, offset: first.offset, shape: [next - first.offset], dtype: first.dtype)
    }
}
