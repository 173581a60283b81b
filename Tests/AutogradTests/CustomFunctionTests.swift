import Testing
import TensorCore
import Autograd

/// `y = slope·x` for x < 0, else x, with the slope kept in the context as a non-tensor value.
private enum ContextLeakyReLU: CustomFunction {
    static func forward(_ ctx: FunctionContext, _ inputs: [Tensor]) throws -> Tensor {
        ctx.saveForBackward(inputs[0])
        ctx["slope"] = 0.2
        return inputs[0].map(.leakyRelu(slope: 0.2))
    }
    static func backward(_ ctx: FunctionContext, _ gradOutput: Tensor) throws -> [Tensor?] {
        let slope = try ctx.value("slope", as: Double.self)
        return [Tensor.activationGradient(.leakyRelu(slope: slope), gradient: gradOutput, saved: try ctx.savedTensors[0])]
    }
}

/// `a ⊙ b` with both inputs saved; gradients only for the inputs that need them.
private enum CustomMultiply: CustomFunction {
    static func forward(_ ctx: FunctionContext, _ inputs: [Tensor]) throws -> Tensor {
        ctx.saveForBackward(inputs[0], inputs[1])
        return inputs[0].zip(inputs[1], .multiply)!
    }
    static func backward(_ ctx: FunctionContext, _ gradOutput: Tensor) throws -> [Tensor?] {
        let saved = try ctx.savedTensors
        return [ctx.needsInputGradient[0] ? gradOutput.zip(saved[1], .multiply)! : nil,
                ctx.needsInputGradient[1] ? gradOutput.zip(saved[0], .multiply)! : nil]
    }
}

/// Squares its input and hands its context to the test that runs it.
private enum ContextProbe: CustomFunction {
    nonisolated(unsafe) static weak var lastContext: FunctionContext?
    static func forward(_ ctx: FunctionContext, _ inputs: [Tensor]) throws -> Tensor {
        lastContext = ctx
        ctx.saveForBackward(inputs[0])
        return inputs[0].map(.square)
    }
    static func backward(_ ctx: FunctionContext, _ gradOutput: Tensor) throws -> [Tensor?] {
        let x = try ctx.savedTensors[0]
        return [gradOutput.zip(x.map(.affine(scale: 2, shift: 0)), .multiply)!]
    }
}

/// Returns two gradients for its one input.
private enum TooManyGradients: CustomFunction {
    static func forward(_ ctx: FunctionContext, _ inputs: [Tensor]) throws -> Tensor { inputs[0].map(.exp) }
    static func backward(_ ctx: FunctionContext, _ gradOutput: Tensor) throws -> [Tensor?] { [gradOutput, gradOutput] }
}

/// Returns a gradient of the wrong shape.
private enum WrongShapeGradient: CustomFunction {
    static func forward(_ ctx: FunctionContext, _ inputs: [Tensor]) throws -> Tensor { inputs[0].map(.exp) }
    static func backward(_ ctx: FunctionContext, _ gradOutput: Tensor) throws -> [Tensor?] { [Tensor.zeros([1], dtype: gradOutput.dtype)] }
}

/// The identity, returning its input tensor itself.
private enum PassThrough: CustomFunction {
    static func forward(_ ctx: FunctionContext, _ inputs: [Tensor]) throws -> Tensor { inputs[0] }
    static func backward(_ ctx: FunctionContext, _ gradOutput: Tensor) throws -> [Tensor?] { [gradOutput] }
}

/// Runs alone: the probe's context is shared static state.
@Suite(.serialized)
struct CustomFunctionTests {
    static func input(_ shape: [Int], _ salt: UInt32) -> Tensor {
        let t = Tensor.uniform(shape, low: -2, high: 2, key: RandomKey(seed: 5, stream: .initialization, a: salt), dtype: .float64)
        // Away from the kink at 0, where central differences are not valid.
        for i in 0..<t.count { let v = t.element(i); t.setElement(i, v < 0 ? v - 0.1 : v + 0.1) }
        return t.requiringGrad()
    }

    @Test func customReLUPassesGradientCheck() throws {
        let x = Self.input([4, 5], 1)
        let result = try GradientCheck.check("custom_relu", inputs: [x]) { try CustomReLU.apply($0[0]) }
        #expect(result.passed, "\(result)")
        #expect(result.checkedElements == 20)
    }

    @Test func customReLUMatchesTheBuiltInBitForBit() throws {
        let x = Self.input([3, 7], 2).converted(to: .float32).requiringGrad()
        let y = try CustomReLU.apply(x)
        #expect(y.bitwiseEqual(try noGrad { try x.relu() }))
        #expect(y.node?.name == "custom_relu")
        let w = Tensor.uniform([3, 7], low: 0.5, high: 1.5, key: RandomKey(seed: 1, stream: .initialization))
        try (y * w).sum().backward()
        let custom = x.grad!
        zeroGrad([x])
        try (x.relu() * w).sum().backward()
        #expect(custom.bitwiseEqual(x.grad!))
    }

    @Test func contextValuesAndSeveralInputs() throws {
        let x = Self.input([2, 3], 3)
        #expect(try GradientCheck.check("leaky", inputs: [x]) { try ContextLeakyReLU.apply($0[0]) }.passed)
        let a = Self.input([2, 3], 4), b = Self.input([2, 3], 5)
        #expect(try GradientCheck.check("multiply", inputs: [a, b]) { try CustomMultiply.apply($0[0], $0[1]) }.passed)
        // Only the input that requires grad gets one.
        let c = Tensor(float64: [1, 2, 3], shape: [3])
        let d = Tensor(float64: [4, 5, 6], shape: [3]).requiringGrad()
        try CustomMultiply.apply(c, d).sum().backward()
        #expect(d.grad!.scalars == [1, 2, 3])
        #expect(c.grad == nil)
    }

    @Test func contextValueErrorsAreClear() throws {
        let ctx = FunctionContext(name: "f", needsInputGradient: [true])
        ctx["slope"] = 0.5
        #expect(try ctx.value("slope", as: Double.self) == 0.5)
        #expect(ctx["slope"] as? Double == 0.5)
        #expect(throws: AutogradError.invalidArgument(op: "f", message: "no value saved under 'scale'")) {
            try ctx.value("scale", as: Double.self)
        }
        #expect(throws: AutogradError.invalidArgument(op: "f", message: "the value under 'slope' has type Double, not Int")) {
            try ctx.value("slope", as: Int.self)
        }
    }

    @Test func savedTensorsAreReleasedAfterBackward() throws {
        let x = Tensor(float64: [1, -2, 3], shape: [3]).requiringGrad()
        let y = try ContextProbe.apply(x)
        let ctx = try #require(ContextProbe.lastContext)
        #expect(try ctx.savedTensors.count == 1)
        #expect(!ctx.isReleased)
        try y.sum().backward()
        #expect(x.grad!.scalars == [2, -4, 6])
        #expect(ctx.isReleased)
        #expect(throws: AutogradError.savedTensorsReleased(op: "ContextProbe")) { try ctx.savedTensors }
        do { _ = try ctx.savedTensors } catch { #expect("\(error)".contains("retainGraph")) }
        // A second backward through the released node fails as for any op.
        #expect(throws: AutogradError.graphFreed(op: "ContextProbe")) { try y.sum().backward() }
    }

    @Test func theContextIsFreedWithTheNodesSavedState() throws {
        let x = Tensor(float64: [1, 2], shape: [2]).requiringGrad()
        let y = try ContextProbe.apply(x)
        #expect(ContextProbe.lastContext != nil)
        try y.sum().backward()
        // `y` (and its node) still exist, but the node let go of the context.
        #expect(y.node != nil)
        #expect(ContextProbe.lastContext == nil)
    }

    @Test func retainGraphKeepsSavedTensors() throws {
        let x = Tensor(float64: [1, 2], shape: [2]).requiringGrad()
        let y = try ContextProbe.apply(x).sum()
        let ctx = try #require(ContextProbe.lastContext)
        try y.backward(retainGraph: true)
        #expect(!ctx.isReleased)
        #expect(try ctx.savedTensors.count == 1)
        try y.backward()
        #expect(x.grad!.scalars == [4, 8])
        #expect(ctx.isReleased)
    }

    @Test func withoutGradTheContextIsReleasedAtOnce() throws {
        let x = Tensor(float64: [1, 2], shape: [2]).requiringGrad()
        let y = try noGrad { try ContextProbe.apply(x) }
        #expect(!y.requiresGrad && y.node == nil)
        #expect(ContextProbe.lastContext == nil)
        let z = try ContextProbe.apply(Tensor(float64: [3], shape: [1]))   // no input requires grad
        #expect(!z.requiresGrad)
        #expect(z.scalars == [9])
    }

    @Test func aWrongNumberOfGradientsThrows() throws {
        let x = Tensor(float64: [1, 2], shape: [2]).requiringGrad()
        let y = try TooManyGradients.apply(x).sum()
        #expect(throws: AutogradError.wrongGradientCount(op: "TooManyGradients", returned: 2, expected: 1)) {
            try y.backward()
        }
        let message = AutogradError.wrongGradientCount(op: "TooManyGradients", returned: 2, expected: 1).description
        #expect(message == "TooManyGradients: backward returned 2 gradients for 1 input; return one per input, nil where an input needs none")
        // The engine checks every rule, not only custom functions'.
        let w = Tensor(float64: [1], shape: [1]).requiringGrad()
        let out = try Tensor.record("bad_rule", inputs: [w], output: w.map(.exp)) { _ in [] }
        #expect(throws: AutogradError.wrongGradientCount(op: "bad_rule", returned: 0, expected: 1)) { try out.sum().backward() }
    }

    @Test func aGradientOfTheWrongShapeThrows() throws {
        let x = Tensor(float64: [1, 2], shape: [2]).requiringGrad()
        #expect(throws: AutogradError.shapeMismatch(op: "WrongShapeGradient backward, gradient of input 0", lhs: [1], rhs: [2])) {
            try WrongShapeGradient.apply(x).sum().backward()
        }
    }

    @Test func aForwardReturningItsInputGetsAnOutputOfItsOwn() throws {
        let x = Tensor(float64: [1, 2], shape: [2]).requiringGrad()
        let y = try PassThrough.apply(x)
        #expect(y !== x)
        #expect(x.node == nil && x.isGradientLeaf)
        #expect(y.node?.name == "PassThrough")
        try (y * y).sum().backward()
        #expect(x.grad!.scalars == [2, 4])
    }
}
