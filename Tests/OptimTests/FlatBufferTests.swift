import Testing
import TensorCore
import Optim

/// The fixture parameters laid out as `FlatParameters` lays out a model: consecutive views of one
/// value buffer, gradient slots consecutive in one gradient buffer.
struct FlatFixture {
    let params: [(name: String, tensor: Tensor)]
    let values: Tensor      // (P)
    let gradients: Tensor   // (P)
    var segments: [Range<Int>] {
        var offset = 0
        return params.map { p in defer { offset += p.tensor.count }; return offset..<offset + p.tensor.count }
    }

    init(_ dtype: DType) {
        params = Inputs.parameters(dtype)
        let total = params.reduce(0) { $0 + $1.tensor.count }
        let valueStorage = TensorStorage(zeroedByteCount: total * dtype.byteWidth)
        let gradientStorage = TensorStorage(zeroedByteCount: total * dtype.byteWidth)
        var offset = 0
        for (_, t) in params {
            t.rebind(to: valueStorage, offset: offset)
            t.gradSlot = Tensor(storage: gradientStorage, offset: offset, shape: t.shape, dtype: dtype)
            offset += t.count
        }
        values = Tensor(storage: valueStorage, shape: [total], dtype: dtype)
        gradients = Tensor(storage: gradientStorage, shape: [total], dtype: dtype)
    }

    /// Writes the fixture gradients of `step` into the slots, as backward does (nil stays nil).
    func setGrads(step: Int) {
        for (i, (_, p)) in params.enumerated() {
            p.grad = PyTorchFixtures.grads[step][i].map { values in
                let slot = p.gradSlot!
                for (j, v) in values.enumerated() { slot.setElement(j, v) }
                return slot
            }
        }
    }

    func run(_ c: OptimizerCase, _ optimizers: [any Optimizer], steps: Range<Int>) throws {
        for step in steps {
            setGrads(step: step)
            for optimizer in optimizers {
                if let lrs = c.lrs { optimizer.learningRate = lrs[step] }
                try optimizer.step()
            }
        }
    }
}

@Suite("Optimizers over flat buffers")
struct FlatBufferTests {
    @Test("flat buffers in place give the standalone path's bits", arguments: OptimizerCase.all, [DType.float64, .float32])
    func flatMatchesStandalone(_ c: OptimizerCase, dtype: DType) throws {
        let standalone = Inputs.parameters(dtype)
        try c.run(c.make(standalone), standalone, steps: 0..<3)

        let flat = FlatFixture(dtype)
        try flat.run(c, [c.make(flat.params)], steps: 0..<3)
        for ((name, a), (_, b)) in zip(standalone, flat.params) {
            #expect(a.bitwiseEqual(b), "\(c.name) \(dtype) \(name)")
            #expect(b.storage === flat.values.storage, "\(name) was used in place, not gathered")
        }
    }

    @Test("two shards update exactly what one optimizer does", arguments: OptimizerCase.all)
    func shardsCompose(_ c: OptimizerCase) throws {
        let (whole, _) = try Self.threeWholeSteps(c)

        // Cut inside layer1.weight (elements 0..<6) and inside layer1.bias (6..<9).
        let sharded = FlatFixture(.float64)
        let cuts = [0, 4, 7, 11]
        let make = try #require(Self.sharded[c.name])
        let optimizers = try (0..<3).map { k in try make(sharded.params, cuts[k]..<cuts[k + 1]) }
        try sharded.run(c, optimizers, steps: 0..<3)
        #expect(whole.values.bitwiseEqual(sharded.values), "\(c.name)")
    }

    @Test("a step taken in pieces that cut parameters, in any order, is one step", arguments: OptimizerCase.all)
    func stepsInPiecesAreOneStep(_ c: OptimizerCase) throws {
        let (whole, one) = try Self.threeWholeSteps(c)

        // Pieces as gradient buckets of row panels give them: cuts inside layer1.weight (0..<6) and
        // layer1.bias (6..<9), taken from the end of the buffer, then in a scrambled order.
        let pieces = FlatFixture(.float64)
        let optimizer = try c.make(pieces.params)
        let cuts = [0, 2, 4, 7, 8, 11]
        let ranges = zip(cuts, cuts.dropFirst()).map { $0..<$1 }
        let orders = [Array(ranges.reversed()), [ranges[2], ranges[0], ranges[4], ranges[1], ranges[3]], ranges]
        for step in 0..<3 {
            pieces.setGrads(step: step)
            if let lrs = c.lrs { optimizer.learningRate = lrs[step] }
            for range in orders[step] { try optimizer.step(elements: range, gradientScale: 1) }
        }
        #expect(whole.values.bitwiseEqual(pieces.values), "\(c.name)")
        for ((name, a), (_, b)) in zip(one.stateTensors(), optimizer.stateTensors()) {
            #expect(a.bitwiseEqual(b), "\(c.name) \(name)")      // step counts included
        }
    }

    @Test("shards restore their part of an unsharded state and continue with its bits", arguments: OptimizerCase.all)
    func shardsLoadTheWholeState(_ c: OptimizerCase) throws {
        let (whole, _) = try Self.threeWholeSteps(c)

        // One step unsharded, its state saved; then three shards (cuts inside parameters) load it.
        let resumed = FlatFixture(.float64)
        let first = try c.make(resumed.params)
        try resumed.run(c, [first], steps: 0..<1)
        let saved = Dictionary(uniqueKeysWithValues: first.stateTensors().map { ($0.name, $0.tensor.copy()) })
        let make = try #require(Self.sharded[c.name])
        let cuts = [0, 4, 7, 11]
        let shards = try (0..<3).map { k in try make(resumed.params, cuts[k]..<cuts[k + 1]) }
        for shard in shards { try shard.loadState(saved) }
        try resumed.run(c, shards, steps: 1..<3)
        #expect(whole.values.bitwiseEqual(resumed.values), "\(c.name)")
    }

    @Test func aShardRefusesAStateOfTheWrongShape() throws {
        let flat = FlatFixture(.float32)
        let full = try SGD(parameters: flat.params, lr: 0.1, momentum: 0.9)
        var state = Dictionary(uniqueKeysWithValues: full.stateTensors().map { ($0.name, $0.tensor) })
        let shard = try SGD(parameters: flat.params, lr: 0.1, momentum: 0.9, shard: 4..<7)
        try shard.loadState(state)
        let name = try #require(state.keys.first { $0.hasSuffix("weight.momentum_buffer") })
        state[name] = Tensor.zeros([3])
        #expect(throws: OptimizerError.self) { try shard.loadState(state) }
        state[name] = nil
        #expect(throws: OptimizerError.self) { try shard.loadState(state) }
    }

    @Test func shardHoldsStateForItsElementsOnly() throws {
        let flat = FlatFixture(.float32)
        let adam = try Adam(parameters: flat.params, shard: 4..<7)
        #expect(adam.shard == 4..<7)
        // layer1.weight's elements 4..<6 and layer1.bias's 6..<7: 1-D parts, then their step counts.
        #expect(adam.stateTensors().map(\.name) == [
            "optimizer.layer1.weight.exp_avg", "optimizer.layer1.weight.exp_avg_sq", "optimizer.layer1.weight.step",
            "optimizer.layer1.bias.exp_avg", "optimizer.layer1.bias.exp_avg_sq", "optimizer.layer1.bias.step",
        ])
        #expect(adam.stateTensors().filter { !$0.name.hasSuffix(".step") }.map(\.tensor.shape) == [[2], [2], [1], [1]])
        flat.setGrads(step: 0)
        let before = flat.values.copy()
        try adam.step()
        for i in 0..<flat.values.count {
            #expect((flat.values.element(i) != before.element(i)) == (4..<7).contains(i), "element \(i)")
        }
    }

    @Test func shardOutsideTheBufferIsRefused() {
        #expect(throws: OptimizerError.invalidShard(optimizer: "SGD", lower: 5, upper: 12, count: 11)) {
            try SGD(parameters: Inputs.parameters(.float32), lr: 0.1, shard: 5..<12)
        }
    }

    @Test func mixedDTypesAreRefused() {
        let params = [("a", Tensor.zeros([2], dtype: .float32)), ("b", Tensor.zeros([2], dtype: .float64))]
        #expect(throws: OptimizerError.mixedDTypes(parameter: "b", dtype: .float64, first: .float32)) {
            try Adam(parameters: params)
        }
    }

    @Test func standaloneParametersAreGatheredKeepingValuesAndGradientSlots() throws {
        let params = Inputs.parameters(.float64)
        let before = params.map { $0.tensor.copy() }
        _ = try SGD(parameters: params, lr: 0.1)
        for ((name, p), b) in zip(params, before) {
            #expect(p.bitwiseEqual(b), "\(name)")
            #expect(p.storage === params[0].tensor.storage)
            #expect(p.gradSlot?.shape == p.shape)
        }
    }

    @Test func flatClippingHasThePerTensorBits() {
        for maxNorm in [1e6, 0.5] {
            let perTensor = FlatFixture(.float32), flat = FlatFixture(.float32)
            perTensor.setGrads(step: 0)
            flat.setGrads(step: 0)
            let a = clipGradNorm(perTensor.params, maxNorm: maxNorm)
            let b = clipGradNorm(flatGradients: flat.gradients, maxNorm: maxNorm)
            #expect(a == b)
            #expect(perTensor.gradients.bitwiseEqual(flat.gradients), "maxNorm \(maxNorm)")
        }
    }
}

extension FlatBufferTests {
    typealias Params = [(name: String, tensor: Tensor)]

    /// The reference the split runs are held to: three steps of one unsharded optimizer over the
    /// whole float64 fixture.
    static func threeWholeSteps(_ c: OptimizerCase) throws -> (FlatFixture, any Optimizer) {
        let whole = FlatFixture(.float64)
        let one = try c.make(whole.params)
        try whole.run(c, [one], steps: 0..<3)
        return (whole, one)
    }

    /// Each fixture case's optimizer restricted to a shard (mirrors `OptimizerCase.all`).
    static let sharded: [String: @Sendable (Params, Range<Int>) throws -> any Optimizer] = [
        "sgd_plain": { try SGD(parameters: $0, lr: 0.1, shard: $1) },
        "sgd_momentum": { try SGD(parameters: $0, lr: 0.1, momentum: 0.9, shard: $1) },
        "sgd_nesterov_wd": { try SGD(parameters: $0, lr: 0.1, momentum: 0.9, weightDecay: 0.01, nesterov: true, shard: $1) },
        "sgd_dampening": { try SGD(parameters: $0, lr: 0.1, momentum: 0.9, dampening: 0.5, shard: $1) },
        "adam": { try Adam(parameters: $0, lr: 0.01, shard: $1) },
        "adam_wd": { try Adam(parameters: $0, lr: 0.01, weightDecay: 0.1, shard: $1) },
        "adam_amsgrad": { try Adam(parameters: $0, lr: 0.02, betas: (0.3, 0.6), eps: 1e-6, amsgrad: true, shard: $1) },
        "adamw": { try AdamW(parameters: $0, lr: 0.01, shard: $1) },
        "adamw_amsgrad": { try AdamW(parameters: $0, lr: 0.02, betas: (0.3, 0.6), weightDecay: 0.1, amsgrad: true, shard: $1) },
    ]
}
