import TensorCore
import Autograd

/// Errors of the module tree: state dicts that do not fit, names that match nothing.
public struct ModuleError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// The base of every layer and model: named parameters, buffers and children in registration order,
/// a train/eval flag, forward hooks, and `callAsFunction`.
///
/// Names follow PyTorch's `state_dict`: a child's entries are prefixed with its name and a dot
/// (`layer1.weight`, `bn1.running_mean`), so that checkpoints load in PyTorch as they are.
///
/// ```swift
/// final class TwoLayer: Module {
///     let fc1 = Linear(20, 64, key: key.with(a: 0)), fc2 = Linear(64, 1, key: key.with(a: 1))
///     override init() { super.init(); register(module: fc1, as: "fc1"); register(module: fc2, as: "fc2") }
///     override func forward(_ x: Tensor) throws -> Tensor { try fc2(fc1(x).relu()) }
/// }
/// ```
open class Module {
    /// This module's own parameters (not its children's), in registration order. For the whole
    /// tree, which is what optimizers and clipping want, use `parameters()` or `namedParameters()`.
    public private(set) var localParameters: [(name: String, tensor: Tensor)] = []
    /// This module's own buffers (not its children's); `buffers()`/`namedBuffers()` for the tree.
    public private(set) var localBuffers: [(name: String, tensor: Tensor)] = []
    public private(set) var children: [(name: String, module: Module)] = []
    /// Train mode (batch statistics, active dropout) or eval mode.
    public private(set) var isTraining = true
    var forwardHooks: [(id: Int, hook: ForwardHook)] = []

    public init() {}

    /// The computation of this module alone. Subclasses override it; callers use `callAsFunction`.
    open func forward(_ input: Tensor) throws -> Tensor {
        throw ModuleError("\(type(of: self)) does not implement forward")
    }

    /// Runs `forward`, then this module's forward hooks in registration order.
    public func callAsFunction(_ input: Tensor) throws -> Tensor {
        let output = try forward(input)
        for (_, hook) in forwardHooks { try hook(self, input, output) }
        return output
    }

    /// A one-line description used by shape traces and summaries (e.g. `Linear(20 → 64)`).
    open var summary: String { String(describing: type(of: self)) }

    // MARK: Registration

    /// Registers a trainable tensor under `name`; it requires grad.
    public func register(parameter tensor: Tensor, as name: String) {
        tensor.requiresGrad = true
        localParameters.append((name, tensor))
    }

    /// Registers a non-trainable state tensor (running statistics) under `name`.
    public func register(buffer tensor: Tensor, as name: String) {
        localBuffers.append((name, tensor))
    }

    /// Registers a child module under `name`.
    public func register(module: Module, as name: String) {
        children.append((name, module))
    }

    // MARK: The tree

    /// This module and every descendant, pre-order, with dotted names (`""` for this module).
    ///
    /// A child registered under the empty name adds no component: it has its parent's name, and its
    /// own children are named as if they were its parent's (`Residual`, `Checkpointed` blocks).
    public func namedModules() -> [(name: String, module: Module)] {
        var out: [(String, Module)] = []
        var stack: [(String, Module)] = [("", self)]
        while let (name, module) = stack.popLast() {
            out.append((name, module))
            for (childName, child) in module.children.reversed() {
                stack.append((Self.join(name, childName), child))
            }
        }
        return out
    }

    /// Every parameter of the tree with its dotted name, in `state_dict` order.
    public func namedParameters() -> [(name: String, tensor: Tensor)] {
        namedModules().flatMap { prefix, m in m.localParameters.map { (Self.join(prefix, $0.name), $0.tensor) } }
    }

    /// Every parameter of the tree, in `state_dict` order: what an optimizer or `clipGradNorm` takes.
    ///
    /// ```swift
    /// let model = Sequential([("fc", Linear(4, 2, key: key))])
    /// let norm = clipGradNorm(model.parameters(), maxNorm: 1.0)   // the Linear's weight and bias
    /// ```
    public func parameters() -> [Tensor] {
        namedParameters().map(\.tensor)
    }

    /// Every buffer of the tree, in `state_dict` order.
    public func buffers() -> [Tensor] {
        namedBuffers().map(\.tensor)
    }

    /// Every buffer of the tree with its dotted name.
    public func namedBuffers() -> [(name: String, tensor: Tensor)] {
        namedModules().flatMap { prefix, m in m.localBuffers.map { (Self.join(prefix, $0.name), $0.tensor) } }
    }

    /// Parameters and buffers in PyTorch's `state_dict` order: per module (pre-order), its
    /// parameters, then its buffers.
    public func stateDict() -> [(name: String, tensor: Tensor)] {
        namedModules().flatMap { prefix, m in
            (m.localParameters + m.localBuffers).map { (Self.join(prefix, $0.name), $0.tensor) }
        }
    }

    /// Copies a state dict into this module's tensors. Every entry must exist with the right shape and
    /// dtype, and (when `strict`) every tensor of the module must be given.
    public func loadStateDict(_ state: [String: Tensor], strict: Bool = true, source: String = "state dict") throws {
        let mine = stateDict()
        let known = Set(mine.map(\.name))
        if strict, let unexpected = state.keys.sorted().first(where: { !known.contains($0) }) {
            throw ModuleError("\(source): unexpected tensor '\(unexpected)' (the model has \(mine.map(\.name).joined(separator: ", ")))")
        }
        for (name, tensor) in mine {
            guard let value = state[name] else {
                if strict { throw ModuleError("\(source): missing tensor '\(name)'") }
                continue
            }
            guard value.shape == tensor.shape else {
                throw ModuleError("\(source): tensor '\(name)' has shape \(value.shape), expected \(tensor.shape)")
            }
            guard value.dtype == tensor.dtype else {
                throw ModuleError("\(source): tensor '\(name)' has dtype \(value.dtype.safetensorsName), expected \(tensor.dtype.safetensorsName)")
            }
            tensor.copyElements(from: value)
        }
    }

    /// Sets train (true) or eval (false) mode on the whole tree; returns self.
    @discardableResult
    public func train(_ on: Bool = true) -> Self {
        for (_, m) in namedModules() { m.isTraining = on }
        return self
    }

    /// Sets eval mode on the whole tree; returns self.
    @discardableResult
    public func eval() -> Self { train(false) }

    /// Clears the gradients of every parameter: to nil (the default, as PyTorch), or zeros in place.
    public func zeroGrad(setToNil: Bool = true) {
        TensorCore.zeroGrad(namedParameters().map(\.tensor), setToNil: setToNil)
    }

    /// Total number of parameter elements.
    public var parameterCount: Int { namedParameters().reduce(0) { $0 + $1.tensor.count } }

    static func join(_ prefix: String, _ name: String) -> String {
        prefix.isEmpty ? name : name.isEmpty ? prefix : "\(prefix).\(name)"
    }
}
