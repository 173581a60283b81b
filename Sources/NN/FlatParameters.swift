import TensorCore
import Autograd

/// All parameters of a model gathered into one contiguous buffer, and their gradients into another,
/// as in llm.c: each parameter tensor becomes a view of `values`, and its gradient lands in its slice
/// of `gradients`. Collectives and optimizers then see one flat array instead of many small ones.
///
/// ```swift
/// let flat = FlatParameters(model)
/// try loss.backward()          // gradients land in flat.gradients
/// ```
public final class FlatParameters {
    /// The parameters in `state_dict` order, each with its element range in the flat buffers.
    public let entries: [(name: String, tensor: Tensor, range: Range<Int>)]
    public let values: Tensor      // (P)
    public let gradients: Tensor   // (P)
    /// The pieces in which backward finishes the gradients, as ranges of `gradients` in flat order: a
    /// parameter whole, or a Linear weight's row panels (`Tensor.linearWeightGradientPanels`), which
    /// `linear` writes and reports one at a time. Gradient buckets are cut at these boundaries.
    public let gradientParts: [Range<Int>]
    /// Where each module's parameters start in the flat buffers (its name's prefix changes there):
    /// backward finishes a module's gradients together, one module after another.
    public let moduleStarts: Set<Int>

    public init(_ module: Module) {
        let named = module.namedParameters()
        let dtype = named.first?.tensor.dtype ?? .float32
        precondition(named.allSatisfy { $0.tensor.dtype == dtype }, "parameters of mixed dtypes")
        let total = named.reduce(0) { $0 + $1.tensor.count }
        let valueStorage = TensorStorage(zeroedByteCount: total * dtype.byteWidth)
        let gradientStorage = TensorStorage(zeroedByteCount: total * dtype.byteWidth)
        var offset = 0
        var entries: [(name: String, tensor: Tensor, range: Range<Int>)] = []
        for (name, tensor) in named {
            tensor.rebind(to: valueStorage, offset: offset)
            tensor.gradSlot = Tensor(storage: gradientStorage, offset: offset, shape: tensor.shape, dtype: dtype)
            entries.append((name, tensor, offset..<offset + tensor.count))
            offset += tensor.count
        }
        self.entries = entries
        let linearWeights = Set(module.namedModules().compactMap { ($0.module as? Linear).map { ObjectIdentifier($0.weight) } })
        gradientParts = entries.flatMap { (_, tensor, range) -> [Range<Int>] in
            guard linearWeights.contains(ObjectIdentifier(tensor)) else { return [range] }
            return Tensor.linearWeightGradientPanels(outFeatures: tensor.shape[0], inFeatures: tensor.shape[1])
                .reversed().map { range.lowerBound + $0.lowerBound ..< range.lowerBound + $0.upperBound }
        }
        let prefixes = entries.map { $0.name.split(separator: ".").dropLast().joined(separator: ".") }
        moduleStarts = Set(entries.indices.dropFirst().filter { prefixes[$0] != prefixes[$0 - 1] }.map { entries[$0].range.lowerBound })
        values = Tensor(storage: valueStorage, shape: [total], dtype: dtype)
        gradients = Tensor(storage: gradientStorage, shape: [total], dtype: dtype)
    }

    /// Makes every parameter's `.grad` its slice of `gradients` (zeros where no gradient arrived), so
    /// that the flat buffer is complete before it is reduced.
    public func bindGradients() {
        for (_, tensor, _) in entries where tensor.grad == nil {
            tensor.gradSlot!.fill(0)
            tensor.grad = tensor.gradSlot
        }
    }
}
