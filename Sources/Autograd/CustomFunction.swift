import TensorCore

/// An op with a forward and a backward of its own, as PyTorch's `torch.autograd.Function`.
///
/// `forward` computes the output from the inputs (it runs under `noGrad`, so nothing inside it is
/// recorded) and saves what the backward will need in the context. `backward` maps the gradient of
/// the output to one gradient per input, nil where an input needs none (`ctx.needsInputGradient`
/// tells which do); it also runs under `noGrad`. `apply` runs the forward and records one graph node
/// whose derivative rule is the backward.
///
/// Wrong answers from `backward` throw instead of corrupting gradients: a different number of
/// gradients than inputs (`AutogradError.wrongGradientCount`), or a gradient whose shape or dtype is not
/// its input's.
///
/// ```swift
/// enum Cube: CustomFunction {
///     static func forward(_ ctx: FunctionContext, _ inputs: [Tensor]) throws -> Tensor {
///         ctx.saveForBackward(inputs[0])
///         return inputs[0].map(.power(3))
///     }
///     static func backward(_ ctx: FunctionContext, _ gradOutput: Tensor) throws -> [Tensor?] {
///         let x = try ctx.savedTensors[0]
///         return [gradOutput.zip(x.map(.square).map(.affine(scale: 3, shift: 0)), .multiply)!]   // 3x²·g
///     }
/// }
/// let y = try Cube.apply(x)
/// ```
///
/// See `CustomReLU` for a complete, documented example.
public protocol CustomFunction {
    /// The op's name in graph printouts and error messages; the type's name by default.
    static var name: String { get }
    /// The output of the op. Runs under `noGrad`; save tensors for the backward with
    /// `ctx.saveForBackward`, and other values with `ctx["key"] = value`.
    static func forward(_ ctx: FunctionContext, _ inputs: [Tensor]) throws -> Tensor
    /// One gradient per input (nil where none is needed) from the gradient of the output. Runs under
    /// `noGrad`, at most once unless the backward that reaches it passes `retainGraph`.
    static func backward(_ ctx: FunctionContext, _ gradOutput: Tensor) throws -> [Tensor?]
}

extension CustomFunction {
    public static var name: String { String(describing: self) }

    /// Runs the function on `inputs` and records it for autograd.
    public static func apply(_ inputs: Tensor...) throws -> Tensor {
        try apply(inputs)
    }

    /// Runs the function on `inputs` and records it for autograd.
    ///
    /// When nothing is recorded (grad mode off, or no input requires grad), the context is released at
    /// once; otherwise the graph node owns it and releases it after the backward that runs it (unless
    /// that backward passes `retainGraph`), or when the graph goes away.
    public static func apply(_ inputs: [Tensor]) throws -> Tensor {
        let name = self.name
        let ctx = FunctionContext(name: name, needsInputGradient: inputs.map(\.requiresGrad))
        var output = try noGrad { try forward(ctx, inputs) }
        // A forward may return one of its inputs (or a tensor of another graph): give the node an
        // output of its own, sharing the storage, so that recording never rewires another tensor.
        if output.requiresGrad || output.gradFn != nil || inputs.contains(where: { $0 === output }) {
            output = output.detached()
        }
        let inputShapes = inputs.map(\.shape), inputDTypes = inputs.map(\.dtype)
        try Tensor.record(name, inputs: inputs, output: output) { gradOutput in
            let gradients = try noGrad { try backward(ctx, gradOutput) }
            guard gradients.count == inputShapes.count else {
                throw AutogradError.wrongGradientCount(op: name, returned: gradients.count, expected: inputShapes.count)
            }
            for (i, gradient) in gradients.enumerated() {
                guard let gradient else { continue }
                guard gradient.shape == inputShapes[i] else {
                    throw AutogradError.shapeMismatch(op: "\(name) backward, gradient of input \(i)",
                                                      lhs: gradient.shape, rhs: inputShapes[i])
                }
                guard gradient.dtype == inputDTypes[i] else {
                    throw AutogradError.dtypeMismatch(op: "\(name) backward, gradient of input \(i)",
                                                      lhs: gradient.dtype.rawValue, rhs: inputDTypes[i].rawValue)
                }
            }
            return gradients
        }
        if let node = output.node {
            node.onRelease = { ctx.release() }
        } else {
            ctx.release()
        }
        return output
    }
}

/// What a `CustomFunction`'s forward hands to its backward: saved tensors and named values.
///
/// Saved tensors are kept as views of the same storage without autograd history (so that saving the
/// output does not make a cycle output → node → context → output). They are released after the
/// backward that uses them — unless it passes `retainGraph` — after which `savedTensors` throws.
///
/// ```swift
/// ctx.saveForBackward(x, weight)
/// ctx["slope"] = 0.1
/// // in backward:
/// let (x, weight) = try (ctx.savedTensors[0], ctx.savedTensors[1])
/// let slope = try ctx.value("slope", as: Double.self)
/// ```
public final class FunctionContext {
    /// The function's name, for error messages.
    public let functionName: String
    /// Whether each input requires grad, i.e. whether the backward must compute its gradient.
    public let needsInputGradient: [Bool]
    /// Set once the saved tensors and values have been released.
    public private(set) var isReleased = false
    private var saved: [Tensor] = []
    private var values: [String: Any] = [:]

    public init(name: String, needsInputGradient: [Bool]) {
        functionName = name
        self.needsInputGradient = needsInputGradient
    }

    /// Keeps `tensors` for the backward, in order, after those saved before.
    public func saveForBackward(_ tensors: Tensor...) {
        precondition(!isReleased, "\(functionName): saveForBackward after the context was released")
        saved.append(contentsOf: tensors.map { $0.detached() })
    }

    /// The tensors given to `saveForBackward`, in order. Throws once they have been released.
    public var savedTensors: [Tensor] {
        get throws {
            guard !isReleased else { throw AutogradError.savedTensorsReleased(op: functionName) }
            return saved
        }
    }

    /// A value kept for the backward (a constant, a shape, a flag); nil if none is stored under `key`
    /// or after release.
    public subscript(key: String) -> Any? {
        get { values[key] }
        set {
            precondition(!isReleased, "\(functionName): value stored after the context was released")
            values[key] = newValue
        }
    }

    /// The value stored under `key` as a `T`; throws when it is missing, of another type, or released.
    public func value<T>(_ key: String, as _: T.Type = T.self) throws -> T {
        guard !isReleased else { throw AutogradError.savedTensorsReleased(op: functionName) }
        guard let stored = values[key] else {
            throw AutogradError.invalidArgument(op: functionName, message: "no value saved under '\(key)'")
        }
        guard let typed = stored as? T else {
            throw AutogradError.invalidArgument(op: functionName, message: "the value under '\(key)' has type \(type(of: stored)), not \(T.self)")
        }
        return typed
    }

    /// Drops the saved tensors and values; reading them afterwards throws.
    func release() {
        saved = []
        values = [:]
        isReleased = true
    }
}

/// `max(x, 0)` written as a `CustomFunction`: the worked example of a custom op.
///
/// The forward saves its input (the derivative needs the sign of `x`) and returns `relu(x)`; the
/// backward passes the gradient where `x > 0` and zero elsewhere. Its gradients are the built-in
/// `relu()`'s, bit for bit; a test checks them against finite differences with `GradientCheck`.
///
/// ```swift
/// let x = Tensor([-1, 2, -3, 4], shape: [2, 2]).requiringGrad()
/// let y = try CustomReLU.apply(x)          // [0, 2, 0, 4]
/// try y.sum().backward()
/// x.grad                                   // [0, 1, 0, 1]
/// ```
public enum CustomReLU: CustomFunction {
    public static var name: String { "custom_relu" }

    public static func forward(_ ctx: FunctionContext, _ inputs: [Tensor]) throws -> Tensor {
        guard inputs.count == 1 else {
            throw AutogradError.invalidArgument(op: name, message: "takes 1 input, got \(inputs.count)")
        }
        ctx.saveForBackward(inputs[0])
        return inputs[0].map(.relu)
    }

    public static func backward(_ ctx: FunctionContext, _ gradOutput: Tensor) throws -> [Tensor?] {
        let x = try ctx.savedTensors[0]
        return [Tensor.activationGradient(.relu, gradient: gradOutput, saved: x)]
    }
}
