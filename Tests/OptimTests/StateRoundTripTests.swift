import Testing
import TensorCore
import Optim

/// Save after k steps, restore into a fresh optimizer over fresh parameter tensors, continue:
/// the parameters must have the same bits as a run that never stopped.
@Suite("State round trip")
struct StateRoundTripTests {
    static let configs: [OptimizerCase] = OptimizerCase.all.filter {
        ["sgd_nesterov_wd", "sgd_dampening", "adam_wd", "adam_amsgrad", "adamw", "adamw_amsgrad"].contains($0.name)
    }

    /// A checkpoint as the trainer writes it: model tensors and optimizer state, all copied.
    static func checkpoint(_ params: [(name: String, tensor: Tensor)], _ optimizer: any Optimizer) -> [String: Tensor] {
        var tensors: [String: Tensor] = [:]
        for (name, p) in params { tensors[name] = p.copy() }
        for (name, t) in optimizer.stateTensors() { tensors[name] = t.copy() }
        return tensors
    }

    // Resuming after step 2 crosses the step where layer2.weight had no gradient.
    @Test(arguments: configs, [1, 2])
    func resumeIsBitIdentical(_ c: OptimizerCase, savedAfter k: Int) throws {
        for dtype in [DType.float64, .float32] {
            let straight = Inputs.parameters(dtype)
            try c.run(c.make(straight), straight, steps: 0..<3)

            let first = Inputs.parameters(dtype)
            let before = try c.make(first)
            try c.run(before, first, steps: 0..<k)
            let saved = Self.checkpoint(first, before)

            let resumed = PyTorchFixtures.names.map { (name: $0, tensor: saved[$0]!.copy()) }
            let after = try c.make(resumed)
            try after.loadState(saved)
            try c.run(after, resumed, steps: k..<3)

            for ((name, a), (_, b)) in zip(straight, resumed) {
                #expect(a.bitwiseEqual(b), "\(c.name) \(dtype) resumed after \(k): \(name)")
            }
        }
    }

    @Test func loadCopiesInsteadOfAliasing() throws {
        let params = Inputs.parameters(.float64)
        let adam = try Adam(parameters: params)
        try OptimizerCase.named("adam").run(adam, params, steps: 0..<1)
        let saved = Self.checkpoint(params, adam)
        let fresh = try Adam(parameters: Inputs.parameters(.float64))
        try fresh.loadState(saved)
        for (name, t) in fresh.stateTensors() {
            #expect(t !== saved[name])
            #expect(t.bitwiseEqual(saved[name]!))
        }
    }

    @Test func adamStateLoadsIntoAdamW() throws {
        // Same slots; only the update rule (a config matter) differs.
        let params = Inputs.parameters(.float32)
        let adam = try Adam(parameters: params)
        try OptimizerCase.named("adam").run(adam, params, steps: 0..<2)
        let adamw = try AdamW(parameters: Inputs.parameters(.float32))
        try adamw.loadState(Self.checkpoint(params, adam))
        #expect(adamw.stateTensors().last?.tensor.item == 1)   // layer2.weight: stepped once
    }
}
