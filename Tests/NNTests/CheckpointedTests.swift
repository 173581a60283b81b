import Testing
import TensorCore
import Autograd
import NN

/// Activation checkpointing on the reference model (batch norm and dropout): the same bits as
/// without it, batch-norm statistics recorded once, the same names.
struct CheckpointedTests {
    static let key = RandomKey(seed: 7, stream: .initialization)

    /// The reference model's layers, fresh, named as `nn.Sequential` would name them.
    static func layers(dtype: DType = .float32) -> [(name: String?, module: Module)] {
        [("layer1", Linear(20, 64, key: key.with(a: 0), dtype: dtype)),
         ("bn1", BatchNorm1d(64, dtype: dtype)),
         ("2", ReLU()),
         ("3", Dropout(p: 0.3, layerID: 3, seed: 11)),
         ("layer2", Linear(64, 32, key: key.with(a: 4), dtype: dtype)),
         ("bn2", BatchNorm1d(32, dtype: dtype)),
         ("6", ReLU()),
         ("layer3", Linear(32, 1, key: key.with(a: 7), dtype: dtype))]
    }

    static func plain() -> Sequential { Sequential(layers()) }

    /// Blocks [layer1 … dropout] and [layer2 … relu] checkpointed, layer3 plain (as ModelBuilder cuts).
    static func checkpointed() -> Sequential {
        let l = layers()
        return Sequential([("", Checkpointed(Sequential(Array(l[0..<4])))),
                           ("", Checkpointed(Sequential(Array(l[4..<7])))),
                           l[7]])
    }

    static func batch(_ n: Int, salt: UInt32) -> (x: Tensor, y: Tensor) {
        let x = Tensor.normal([n, 20], key: RandomKey(seed: 99, stream: .syntheticData, a: salt))
        let y = Tensor.uniform([n, 1], low: 0, high: 1, key: RandomKey(seed: 98, stream: .syntheticData, a: salt)).map(.round)
        return (x, y)
    }

    struct Outcome {
        let output: Tensor
        let loss: Tensor
        let gradients: [(name: String, tensor: Tensor)]
        let inputGradient: Tensor?
    }

    /// Forward, summed BCE loss, backward (twice with `retainGraph` when `twice`).
    static func run(_ model: Module, _ x: Tensor, _ y: Tensor, context: SampleContext?, inputRequiresGrad: Bool,
                    twice: Bool = false) throws -> Outcome {
        model.zeroGrad()
        let input = x.detached()
        if inputRequiresGrad { input.requiringGrad() }
        let output = try SampleContext.$current.withValue(context) { try model(input) }
        let loss = try Loss.binaryCrossEntropyWithLogits(output, y, reduction: .sum)
        try loss.backward(retainGraph: twice)
        if twice { try loss.backward() }
        return Outcome(output: output, loss: loss,
                       gradients: model.namedParameters().map { ($0.name, $0.tensor.grad!) },
                       inputGradient: input.grad)
    }

    static func expectIdentical(_ a: Outcome, _ b: Outcome, _ label: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(a.output.bitwiseEqual(b.output), "\(label): output", sourceLocation: sourceLocation)
        #expect(a.loss.bitwiseEqual(b.loss), "\(label): loss", sourceLocation: sourceLocation)
        #expect(a.gradients.map(\.name) == b.gradients.map(\.name), "\(label): names", sourceLocation: sourceLocation)
        for ((name, g), (_, h)) in zip(a.gradients, b.gradients) {
            #expect(g.bitwiseEqual(h), "\(label): gradient of \(name)", sourceLocation: sourceLocation)
        }
        #expect((a.inputGradient == nil) == (b.inputGradient == nil), "\(label): input gradient", sourceLocation: sourceLocation)
        if let g = a.inputGradient, let h = b.inputGradient {
            #expect(g.bitwiseEqual(h), "\(label): input gradient", sourceLocation: sourceLocation)
        }
    }

    static func batchNorms(_ model: Module) -> [BatchNorm1d] {
        model.namedModules().compactMap { $0.module as? BatchNorm1d }
    }

    @Test func gradientsAreBitIdenticalInTrainModeUnderASampleContext() throws {
        let (x, y) = Self.batch(32, salt: 1)
        let context = SampleContext(seed: 7, step: 3, sampleIndices: Array(100..<132))
        for inputRequiresGrad in [false, true] {
            let plain = Self.plain(), checkpointed = Self.checkpointed()
            for model in [plain, checkpointed] { for bn in Self.batchNorms(model) { bn.defersRunningStatistics = true } }
            let a = try Self.run(plain, x, y, context: context, inputRequiresGrad: inputRequiresGrad)
            let b = try Self.run(checkpointed, x, y, context: context, inputRequiresGrad: inputRequiresGrad)
            Self.expectIdentical(a, b, "input requires grad: \(inputRequiresGrad)")
            // Dropout really dropped something (the comparison would be weaker otherwise).
            #expect(a.gradients[0].tensor.scalars.contains(0) == false)
            // One forward, one set of statistics per batch norm, though the blocks ran twice.
            for (p, c) in zip(Self.batchNorms(plain), Self.batchNorms(checkpointed)) {
                let (sp, sc) = (p.takePendingStatistics(), c.takePendingStatistics())
                #expect(sp.count == 1 && sc.count == 1)
                #expect(sp[0].mean.bitwiseEqual(sc[0].mean) && sp[0].variance.bitwiseEqual(sc[0].variance))
            }
        }
    }

    @Test func dropoutMasksDependOnTheContext() throws {
        // The test above would pass trivially if masks ignored the context; they do not.
        let (x, y) = Self.batch(32, salt: 1)
        let model = Self.checkpointed()
        let a = try Self.run(model, x, y, context: SampleContext(seed: 7, step: 3, sampleIndices: Array(0..<32)), inputRequiresGrad: false)
        let b = try Self.run(model, x, y, context: SampleContext(seed: 7, step: 4, sampleIndices: Array(0..<32)), inputRequiresGrad: false)
        #expect(!a.output.bitwiseEqual(b.output))
    }

    @Test func withoutAContextTheReplayRewindsDropout() throws {
        let plain = Self.plain(), checkpointed = Self.checkpointed()
        for salt in [UInt32(2), 3] {
            let (x, y) = Self.batch(16, salt: salt)
            let a = try Self.run(plain, x, y, context: nil, inputRequiresGrad: true)
            let b = try Self.run(checkpointed, x, y, context: nil, inputRequiresGrad: true)
            Self.expectIdentical(a, b, "no context, call \(salt)")
        }
    }

    @Test func runningStatisticsMoveOnceWhenNotDeferred() throws {
        let (x, y) = Self.batch(32, salt: 4)
        let context = SampleContext(seed: 7, step: 0, sampleIndices: Array(0..<32))
        let plain = Self.plain(), checkpointed = Self.checkpointed()
        Self.expectIdentical(try Self.run(plain, x, y, context: context, inputRequiresGrad: false),
                             try Self.run(checkpointed, x, y, context: context, inputRequiresGrad: false), "PyTorch mode")
        for (p, c) in zip(Self.batchNorms(plain), Self.batchNorms(checkpointed)) {
            #expect(c.numBatchesTracked.item == 1)
            #expect(p.runningMean.bitwiseEqual(c.runningMean) && p.runningVariance.bitwiseEqual(c.runningVariance))
            #expect(c.pendingStatistics.isEmpty)
        }
    }

    @Test func evalModeAndRetainGraph() throws {
        let (x, y) = Self.batch(8, salt: 5)
        let plain = Self.plain(), checkpointed = Self.checkpointed()
        // Train once so that eval mode uses running statistics other than the initial ones.
        let context = SampleContext(seed: 7, step: 0, sampleIndices: Array(0..<8))
        _ = try Self.run(plain, x, y, context: context, inputRequiresGrad: false)
        _ = try Self.run(checkpointed, x, y, context: context, inputRequiresGrad: false)
        plain.eval()
        checkpointed.eval()
        Self.expectIdentical(try Self.run(plain, x, y, context: context, inputRequiresGrad: true),
                             try Self.run(checkpointed, x, y, context: context, inputRequiresGrad: true), "eval")
        plain.train()
        checkpointed.train()
        Self.expectIdentical(try Self.run(plain, x, y, context: context, inputRequiresGrad: true, twice: true),
                             try Self.run(checkpointed, x, y, context: context, inputRequiresGrad: true, twice: true),
                             "two backwards with retainGraph")
    }

    @Test func theReplayUsesTheModesOfTheForward() throws {
        // Switching to eval between forward and backward must not change the gradients.
        let (x, y) = Self.batch(8, salt: 6)
        let context = SampleContext(seed: 7, step: 0, sampleIndices: Array(0..<8))
        let reference = try Self.run(Self.plain(), x, y, context: context, inputRequiresGrad: true)
        let model = Self.checkpointed()
        let input = x.detached().requiringGrad()
        let output = try SampleContext.$current.withValue(context) { try model(input) }
        model.eval()
        try Loss.binaryCrossEntropyWithLogits(output, y, reduction: .sum).backward()
        #expect(model.namedModules().allSatisfy { !$0.module.isTraining })
        for ((name, g), (_, p)) in zip(reference.gradients, model.namedParameters()) {
            #expect(g.bitwiseEqual(p.grad!), "\(name)")
        }
        #expect(reference.inputGradient!.bitwiseEqual(input.grad!))
    }

    @Test func withoutGradTheBlockRunsAsIs() throws {
        let (x, _) = Self.batch(8, salt: 7)
        let plain = Self.plain(), checkpointed = Self.checkpointed()
        for model in [plain, checkpointed] { for bn in Self.batchNorms(model) { bn.defersRunningStatistics = true } }
        let a = try noGrad { try plain(x) }
        let b = try noGrad { try checkpointed(x) }
        #expect(a.bitwiseEqual(b))
        #expect(b.node == nil && !b.requiresGrad)
        #expect(Self.batchNorms(checkpointed).allSatisfy { $0.takePendingStatistics().count == 1 })
        // Nothing requiring grad: no node either.
        let frozen = Checkpointed(Sequential([ReLU()]))
        #expect(try frozen(x).node == nil)
    }

    @Test func namesAreThoseOfTheWrappedModule() throws {
        #expect(Self.checkpointed().stateDict().map(\.name) == Self.plain().stateDict().map(\.name))
        #expect(Self.checkpointed().namedParameters().map(\.name) == Self.plain().namedParameters().map(\.name))
        // A module with parameters of its own keeps them under the same names, frozen or not.
        let linear = Linear(3, 2, key: Self.key)
        linear.bias!.requiresGrad = false
        let wrapped = Checkpointed(linear)
        #expect(wrapped.stateDict().map(\.name) == ["weight", "bias"])
        #expect(wrapped.localParameters[0].tensor === linear.weight && wrapped.localParameters[1].tensor === linear.bias!)
        #expect(!linear.bias!.requiresGrad)
        let nested = Sequential([("block", Checkpointed(Sequential([("fc", Linear(3, 2, key: Self.key)), (nil, ReLU())])))])
        #expect(nested.stateDict().map(\.name) == ["block.fc.weight", "block.fc.bias"])
        #expect(nested.summary == "Sequential")
    }

    @Test func aWrappedLeafModuleFollowsTrainAndEval() throws {
        let block = Checkpointed(Dropout(p: 0.5, layerID: 1))
        let x = Tensor.normal([4, 6], key: RandomKey(seed: 1, stream: .syntheticData)).requiringGrad()
        block.eval()
        let y = try block(x)
        #expect(y.bitwiseEqual(x) && y !== x)
        #expect(x.node == nil)
        try y.sum().backward()
        #expect(x.grad!.scalars.allSatisfy { $0 == 1 })
        block.train()
        #expect(try block(x).scalars.contains(0))
    }

    @Test func nestedCheckpointsGiveTheSameGradients() throws {
        let (x, y) = Self.batch(16, salt: 8)
        let context = SampleContext(seed: 7, step: 1, sampleIndices: Array(0..<16))
        let l = Self.layers()
        let inner = Sequential([("", Checkpointed(Sequential(Array(l[0..<4])))), ("", Checkpointed(Sequential(Array(l[4..<7]))))])
        let nested = Sequential([("", Checkpointed(inner)), l[7]])
        let plain = Self.plain()
        for model in [plain, nested] { for bn in Self.batchNorms(model) { bn.defersRunningStatistics = true } }
        Self.expectIdentical(try Self.run(plain, x, y, context: context, inputRequiresGrad: true),
                             try Self.run(nested, x, y, context: context, inputRequiresGrad: true), "nested")
        #expect(Self.batchNorms(nested).allSatisfy { $0.takePendingStatistics().count == 1 })
        #expect(nested.stateDict().map(\.name) == plain.stateDict().map(\.name))
    }

    @Test func isRecomputingIsSetOnlyDuringTheReplay() throws {
        final class Probe: Module {
            var seen: [Bool] = []
            override func forward(_ input: Tensor) throws -> Tensor {
                seen.append(Checkpointed.isRecomputing)
                return try input * 2.0
            }
        }
        let probe = Probe()
        let x = Tensor([1, 2], shape: [1, 2]).requiringGrad()
        let y = try Checkpointed(probe)(x)
        #expect(probe.seen == [false])
        try y.sum().backward()
        #expect(probe.seen == [false, true])
        #expect(x.grad!.floatArray == [2, 2])
        #expect(!Checkpointed.isRecomputing)
    }
}
