import Testing
import TensorCore
import Optim

@Suite("Validation errors")
struct ValidationTests {
    let params = Inputs.parameters(.float64)

    /// Expects `body` to throw an invalid-hyper-parameter error naming `name`.
    func expectInvalid(_ name: String, sourceLocation: SourceLocation = #_sourceLocation,
                       _ body: () throws -> Void) {
        let error = #expect(throws: OptimizerError.self, sourceLocation: sourceLocation) { try body() }
        guard case .invalidHyperparameter(_, let reported, _, _)? = error else {
            Issue.record("expected invalidHyperparameter(\(name)), got \(String(describing: error))",
                         sourceLocation: sourceLocation)
            return
        }
        #expect(reported == name, sourceLocation: sourceLocation)
    }

    @Test func sgdHyperparameters() {
        expectInvalid("learning rate") { _ = try SGD(parameters: params, lr: -0.1) }
        expectInvalid("learning rate") { _ = try SGD(parameters: params, lr: .nan) }
        expectInvalid("momentum") { _ = try SGD(parameters: params, momentum: -0.9) }
        expectInvalid("dampening") { _ = try SGD(parameters: params, momentum: 0.9, dampening: -1) }
        expectInvalid("weight_decay") { _ = try SGD(parameters: params, weightDecay: -1e-4) }
    }

    @Test func nesterovNeedsMomentumAndNoDampening() {
        let reason = "Nesterov momentum requires a momentum and zero dampening"
        #expect(throws: OptimizerError.invalidCombination(optimizer: "SGD", reason: reason)) {
            try SGD(parameters: params, lr: 0.1, nesterov: true)
        }
        #expect(throws: OptimizerError.invalidCombination(optimizer: "SGD", reason: reason)) {
            try SGD(parameters: params, lr: 0.1, momentum: 0.9, dampening: 0.1, nesterov: true)
        }
    }

    @Test func adamHyperparameters() {
        for make in [{ try Adam(parameters: $0, lr: $1, betas: $2, eps: $3, weightDecay: $4) as any Optimizer },
                     { try AdamW(parameters: $0, lr: $1, betas: $2, eps: $3, weightDecay: $4) as any Optimizer }]
            as [([(name: String, tensor: Tensor)], Double, (Double, Double), Double, Double) throws -> any Optimizer] {
            expectInvalid("learning rate") { _ = try make(params, -1e-3, (0.9, 0.999), 1e-8, 0) }
            expectInvalid("beta1") { _ = try make(params, 1e-3, (1.0, 0.999), 1e-8, 0) }
            expectInvalid("beta1") { _ = try make(params, 1e-3, (-0.1, 0.999), 1e-8, 0) }
            expectInvalid("beta2") { _ = try make(params, 1e-3, (0.9, 1.0), 1e-8, 0) }
            expectInvalid("epsilon") { _ = try make(params, 1e-3, (0.9, 0.999), -1e-8, 0) }
            expectInvalid("weight_decay") { _ = try make(params, 1e-3, (0.9, 0.999), 1e-8, -0.01) }
        }
        // The edges that are allowed: beta 0, everything else 0.
        #expect(throws: Never.self) { try Adam(parameters: params, lr: 0, betas: (0, 0), eps: 0) }
    }

    @Test func negativeLearningRateSetLaterFailsTheStep() throws {
        let sgd = try SGD(parameters: params, lr: 0.1)
        sgd.learningRate = -0.1
        Inputs.setGrads(params, step: 0)
        let before = params.map { $0.tensor.copy() }
        expectInvalid("learning rate") { try sgd.step() }
        #expect(zip(before, params).allSatisfy { $0.bitwiseEqual($1.tensor) })
    }

    @Test func parameterLists() {
        #expect(throws: OptimizerError.emptyParameterList(optimizer: "Adam")) { try Adam(parameters: []) }
        let w = Tensor.zeros([2])
        #expect(throws: OptimizerError.duplicateParameter(name: "w")) {
            try SGD(parameters: [("w", w), ("w", Tensor.zeros([2]))])
        }
        #expect(throws: OptimizerError.duplicateParameter(name: "alias")) {
            try SGD(parameters: [("w", w), ("alias", w)])
        }
        #expect(throws: OptimizerError.unsupportedDType(parameter: "n", dtype: .int64)) {
            try SGD(parameters: [("n", Tensor.zeros([2], dtype: .int64))])
        }
    }

    @Test func mismatchedGradientFailsBeforeAnyUpdate() throws {
        let adam = try Adam(parameters: params)
        Inputs.setGrads(params, step: 0)
        params[2].tensor.grad = Tensor.zeros([2], dtype: .float32)    // wrong dtype, last parameter
        let before = params.map { $0.tensor.copy() }
        #expect(throws: OptimizerError.gradientMismatch(parameter: "layer2.weight", parameterShape: [1, 2],
                                                        parameterDType: .float64, gradShape: [2],
                                                        gradDType: .float32)) { try adam.step() }
        #expect(zip(before, params).allSatisfy { $0.bitwiseEqual($1.tensor) })
        #expect(adam.stateTensors().filter { $0.name.hasSuffix(".step") }.allSatisfy { $0.tensor.item == 0 })
    }

    // MARK: loadState

    func savedAdamState() throws -> [String: Tensor] {
        let adam = try Adam(parameters: params)
        Inputs.setGrads(params, step: 0)
        try adam.step()
        return Dictionary(uniqueKeysWithValues: adam.stateTensors().map { ($0.name, $0.tensor.copy()) })
    }

    @Test func missingSlot() throws {
        var state = try savedAdamState()
        state["optimizer.layer1.bias.exp_avg_sq"] = nil
        let fresh = try Adam(parameters: Inputs.parameters(.float64))
        #expect(throws: OptimizerError.missingState(name: "optimizer.layer1.bias.exp_avg_sq")) {
            try fresh.loadState(state)
        }
        // An AMSGrad optimizer needs the slot plain Adam does not write.
        let amsgrad = try Adam(parameters: Inputs.parameters(.float64), amsgrad: true)
        #expect(throws: OptimizerError.missingState(name: "optimizer.layer1.weight.max_exp_avg_sq")) {
            try amsgrad.loadState(try savedAdamState())
        }
    }

    @Test func misShapedOrMistypedSlot() throws {
        var state = try savedAdamState()
        state["optimizer.layer1.weight.exp_avg"] = Tensor.zeros([3, 2], dtype: .float64)
        let fresh = try Adam(parameters: Inputs.parameters(.float64))
        #expect(throws: OptimizerError.stateMismatch(name: "optimizer.layer1.weight.exp_avg",
                                                     expectedShape: [2, 3], expectedDType: .float64,
                                                     foundShape: [3, 2], foundDType: .float64)) {
            try fresh.loadState(state)
        }
        state = try savedAdamState()
        state["optimizer.layer1.weight.step"] = Tensor.scalar(1, dtype: .float32)
        #expect(throws: OptimizerError.stateMismatch(name: "optimizer.layer1.weight.step",
                                                     expectedShape: [], expectedDType: .int64,
                                                     foundShape: [], foundDType: .float32)) {
            try fresh.loadState(state)
        }
        state = try savedAdamState()
        state["optimizer.layer2.weight.step"] = Tensor.scalar(-3, dtype: .int64)
        #expect(throws: OptimizerError.invalidStepCount(name: "optimizer.layer2.weight.step", value: -3)) {
            try fresh.loadState(state)
        }
    }

    @Test func unexpectedSlots() throws {
        // Adam state into momentum SGD, and momentum state into plain SGD.
        let sgd = try SGD(parameters: Inputs.parameters(.float64), momentum: 0.9)
        #expect(throws: OptimizerError.missingState(name: "optimizer.layer1.weight.momentum_buffer")) {
            try sgd.loadState(try savedAdamState())
        }
        let plain = try SGD(parameters: Inputs.parameters(.float64))
        #expect(throws: OptimizerError.unexpectedState(name: "optimizer.layer1.bias.exp_avg")) {
            try plain.loadState(try savedAdamState())
        }
        // Non-optimizer entries (the model's own tensors) are ignored.
        try plain.loadState(["layer1.weight": Tensor.zeros([2, 3], dtype: .float64)])
    }

    @Test func failedLoadChangesNothing() throws {
        let adam = try Adam(parameters: params)
        let before = adam.stateTensors().map { $0.tensor.copy() }
        var state = try savedAdamState()
        state["optimizer.layer2.weight.exp_avg"] = Tensor.zeros([7], dtype: .float64)   // last param: checked after the others
        #expect(throws: OptimizerError.self) { try adam.loadState(state) }
        #expect(zip(before, adam.stateTensors()).allSatisfy { $0.bitwiseEqual($1.tensor) })
    }

    @Test func messagesNameTheProblem() {
        #expect(OptimizerError.invalidHyperparameter(optimizer: "SGD", name: "learning rate", value: -1,
                                                     requirement: "must be finite and ≥ 0").description
                == "SGD: invalid learning rate -1.0 (must be finite and ≥ 0)")
        #expect(OptimizerError.missingState(name: "optimizer.w.exp_avg").description.contains("optimizer.w.exp_avg"))
    }
}
