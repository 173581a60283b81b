import TensorCore

/// A function called after a module's forward with `(module, input, output)`.
public typealias ForwardHook = (Module, Tensor, Tensor) throws -> Void

/// Detaches a forward hook from its module.
public final class HookHandle {
    private weak var module: Module?
    private let id: Int

    init(module: Module, id: Int) {
        self.module = module
        self.id = id
    }

    /// Removes the hook; calling it again does nothing.
    public func remove() { module?.forwardHooks.removeAll { $0.id == id } }
}

extension Module {
    /// Calls `hook` after every forward of this module, until the returned handle's `remove()`.
    ///
    /// ```swift
    /// let handle = model.registerForwardHook { module, input, output in print(module.summary, output.shape) }
    /// defer { handle.remove() }
    /// ```
    @discardableResult
    public func registerForwardHook(_ hook: @escaping ForwardHook) -> HookHandle {
        let id = (forwardHooks.map(\.id).max() ?? 0) + 1
        forwardHooks.append((id, hook))
        return HookHandle(module: self, id: id)
    }
}
