import Testing
import TensorCore
import Optim

/// One optimizer configuration of the fixture script's CASES.
struct OptimizerCase: Sendable, CustomTestStringConvertible {
    let name: String
    let lrs: [Double]?
    let make: @Sendable ([(name: String, tensor: Tensor)]) throws -> any Optimizer

    var testDescription: String { name }

    /// Mirrors CASES in PyTorchFixtures.swift, hyper-parameter for hyper-parameter.
    static let all: [OptimizerCase] = [
        OptimizerCase(name: "sgd_plain", lrs: nil) { try SGD(parameters: $0, lr: 0.1) },
        OptimizerCase(name: "sgd_momentum", lrs: nil) { try SGD(parameters: $0, lr: 0.1, momentum: 0.9) },
        OptimizerCase(name: "sgd_nesterov_wd", lrs: nil) {
            try SGD(parameters: $0, lr: 0.1, momentum: 0.9, weightDecay: 0.01, nesterov: true)
        },
        OptimizerCase(name: "sgd_dampening", lrs: [0.1, 0.05, 0.02]) {
            try SGD(parameters: $0, lr: 0.1, momentum: 0.9, dampening: 0.5)
        },
        OptimizerCase(name: "adam", lrs: nil) { try Adam(parameters: $0, lr: 0.01) },
        OptimizerCase(name: "adam_wd", lrs: nil) { try Adam(parameters: $0, lr: 0.01, weightDecay: 0.1) },
        OptimizerCase(name: "adam_amsgrad", lrs: nil) {
            try Adam(parameters: $0, lr: 0.02, betas: (0.3, 0.6), eps: 1e-6, amsgrad: true)
        },
        OptimizerCase(name: "adamw", lrs: [0.01, 0.005, 0.002]) { try AdamW(parameters: $0, lr: 0.01) },
        OptimizerCase(name: "adamw_amsgrad", lrs: nil) {
            try AdamW(parameters: $0, lr: 0.02, betas: (0.3, 0.6), weightDecay: 0.1, amsgrad: true)
        },
    ]

    static func named(_ name: String) -> OptimizerCase { all.first { $0.name == name }! }

    /// Runs `steps` fixture steps on `params` (setting the per-step learning rate if the case has one).
    func run(_ optimizer: any Optimizer, _ params: [(name: String, tensor: Tensor)], steps: Range<Int>) throws {
        for step in steps {
            if let lrs { optimizer.learningRate = lrs[step] }
            Inputs.setGrads(params, step: step)
            try optimizer.step()
        }
    }
}

@Suite("Optimizers against PyTorch")
struct OptimizerFixtureTests {
    @Test("three steps match torch.optim", arguments: OptimizerCase.all, [DType.float64, .float32])
    func matchesPyTorch(_ c: OptimizerCase, dtype: DType) throws {
        let params = Inputs.parameters(dtype)
        let optimizer = try c.make(params)
        try c.run(optimizer, params, steps: 0..<3)
        let expected = try #require((dtype == .float64 ? PyTorchFixtures.float64 : PyTorchFixtures.float32)[c.name])
        for (i, (name, p)) in params.enumerated() {
            expectClose(p.scalars, expected[i], relative: tolerance(dtype), "\(c.name) \(dtype) \(name)")
        }
    }

    #if os(Linux)
    /// Our kernels perform PyTorch's operations in PyTorch's order with one rounding each, so on
    /// these inputs float64 agrees with ATen's portable kernels to the bit. This guards the
    /// operation order, which the 1e-12 tolerance above would not notice. (glibc only: the bias
    /// corrections go through libm's pow. If regenerated fixtures miss by one ulp, suspect MKL's
    /// sqrt, which PyTorch uses and which is not correctly rounded; see docs/optim.md.)
    @Test("float64 matches torch bit for bit", arguments: OptimizerCase.all)
    func bitIdenticalInFloat64(_ c: OptimizerCase) throws {
        let params = Inputs.parameters(.float64)
        try c.run(c.make(params), params, steps: 0..<3)
        let expected = try #require(PyTorchFixtures.float64[c.name])
        for (i, (name, p)) in params.enumerated() {
            #expect(p.scalars == expected[i], "\(c.name) \(name)")
        }
    }
    #endif

    @Test func fixturesComeFromPyTorch() {
        #expect(PyTorchFixtures.torchVersion.hasPrefix("2."))
    }

    @Test func adamStateIsNamedPerParameterAndSlot() throws {
        let params = Inputs.parameters(.float64)
        let adam = try Adam(parameters: params, amsgrad: true)
        try OptimizerCase.named("adam").run(adam, params, steps: 0..<3)
        let state = adam.stateTensors()
        #expect(state.map(\.name) == PyTorchFixtures.names.flatMap { p in
            ["exp_avg", "exp_avg_sq", "max_exp_avg_sq", "step"].map { "optimizer.\(p).\($0)" }
        })
        // layer2.weight had no gradient at step 1, so it was stepped twice, the others three times.
        let steps = state.filter { $0.name.hasSuffix(".step") }.map(\.tensor)
        #expect(steps.map(\.item) == [3, 3, 2])
        #expect(steps.allSatisfy { $0.dtype == .int64 && $0.shape == [] })
        for (name, tensor) in state where !name.hasSuffix(".step") {
            #expect(tensor.dtype == .float64)
        }
    }

    @Test func sgdStateNamesAndStatelessPlainSGD() throws {
        let params = Inputs.parameters(.float32)
        let sgd = try SGD(parameters: params, lr: 0.1, momentum: 0.9)
        #expect(sgd.stateTensors().map(\.name) == PyTorchFixtures.names.flatMap {
            ["optimizer.\($0).momentum_buffer", "optimizer.\($0).step"]
        })
        #expect(try SGD(parameters: params, lr: 0.1).stateTensors().isEmpty)
    }

    @Test func parameterWithoutGradientIsSkipped() throws {
        let params = Inputs.parameters(.float64)
        let frozen = params[2].tensor.copy()
        let adamw = try AdamW(parameters: params, weightDecay: 0.5)
        for step in 0..<3 {
            Inputs.setGrads(params, step: step)
            params[2].tensor.grad = nil
            try adamw.step()
        }
        // Not even AdamW's decoupled decay touches it, as in PyTorch.
        #expect(params[2].tensor.bitwiseEqual(frozen))
        #expect(adamw.stateTensors().first { $0.name == "optimizer.layer2.weight.step" }?.tensor.item == 0)
    }

    @Test(arguments: [true, false])
    func zeroGrad(setToNil: Bool) throws {
        let params = Inputs.parameters(.float32)
        Inputs.setGrads(params, step: 0)
        let grads = params.map(\.tensor.grad)
        let sgd = try SGD(parameters: params, lr: 0.1)
        sgd.zeroGrad(setToNil: setToNil)
        for (i, (_, p)) in params.enumerated() {
            if setToNil {
                #expect(p.grad == nil)
            } else {
                // Zeroed in place: a gradient living in a flat buffer stays a view of it.
                #expect(p.grad === grads[i])
                #expect(p.grad?.scalars.allSatisfy { $0 == 0 } == true)
            }
        }
    }

    @Test func defaultZeroGradSetsNil() throws {
        let params = Inputs.parameters(.float64)
        Inputs.setGrads(params, step: 0)
        let adam = try Adam(parameters: params)
        adam.zeroGrad()
        #expect(params.allSatisfy { $0.tensor.grad == nil })
    }

    @Test func hyperparameterDefaultsMatchPyTorch() throws {
        let params = Inputs.parameters(.float64)
        let sgd = try SGD(parameters: params)
        #expect(sgd.learningRate == 1e-3 && sgd.momentum == 0 && sgd.dampening == 0)
        #expect(sgd.weightDecay == 0 && !sgd.nesterov)
        let adam = try Adam(parameters: params)
        #expect(adam.learningRate == 1e-3 && adam.betas == (0.9, 0.999) && adam.eps == 1e-8)
        #expect(adam.weightDecay == 0 && !adam.amsgrad)
        #expect(try AdamW(parameters: params).weightDecay == 1e-2)
    }
}
