import Testing
import TensorCore
import Autograd
import NN

struct ModuleTests {
    static let key = RandomKey(seed: 7, stream: .initialization)

    static func referenceModel(dtype: DType = .float32) -> Sequential {
        Sequential([
            ("layer1", Linear(20, 64, key: key.with(a: 0), dtype: dtype)),
            ("bn1", BatchNorm1d(64, dtype: dtype)),
            (nil, ReLU()),
            (nil, Dropout(p: 0.3, layerID: 3)),
            ("layer2", Linear(64, 32, key: key.with(a: 4), dtype: dtype)),
            ("bn2", BatchNorm1d(32, dtype: dtype)),
            (nil, ReLU()),
            ("layer3", Linear(32, 1, key: key.with(a: 7), dtype: dtype)),
        ])
    }

    static func batch(_ n: Int, _ f: Int, salt: UInt32 = 0, dtype: DType = .float32) -> Tensor {
        Tensor.normal([n, f], key: RandomKey(seed: 99, stream: .syntheticData, a: salt), dtype: dtype)
    }

    @Test func stateDictFollowsPyTorchNamesAndOrder() {
        let names = Self.referenceModel().stateDict().map(\.name)
        #expect(names == [
            "layer1.weight", "layer1.bias",
            "bn1.weight", "bn1.bias", "bn1.running_mean", "bn1.running_var", "bn1.num_batches_tracked",
            "layer2.weight", "layer2.bias",
            "bn2.weight", "bn2.bias", "bn2.running_mean", "bn2.running_var", "bn2.num_batches_tracked",
            "layer3.weight", "layer3.bias",
        ])
        let unnamed = Sequential([Linear(3, 2, key: Self.key), ReLU(), Linear(2, 1, key: Self.key.with(a: 2))])
        #expect(unnamed.stateDict().map(\.name) == ["0.weight", "0.bias", "2.weight", "2.bias"])
        #expect(Self.referenceModel().parameterCount == 20 * 64 + 64 + 128 + 64 * 32 + 32 + 64 + 32 + 1)
    }

    @Test func linearInitialisationFollowsPyTorchBounds() {
        let layer = Linear(20, 64, key: Self.key)
        let bound = 1 / Double(20).squareRoot()
        #expect(layer.weight.scalars.allSatisfy { Swift.abs($0) <= bound })
        #expect(layer.bias!.scalars.allSatisfy { Swift.abs($0) <= bound })
        // Uniform on [-b, b] has variance b²/3.
        let w = layer.weight.scalars, variance = w.map { $0 * $0 }.reduce(0, +) / Double(w.count)
        #expect(Swift.abs(variance - bound * bound / 3) < 0.1 * bound * bound / 3)
        #expect(Linear(20, 64, key: Self.key).weight.bitwiseEqual(layer.weight))
        #expect(!Linear(20, 64, key: Self.key.with(a: 1)).weight.bitwiseEqual(layer.weight))
    }

    @Test func batchNormDiffersBetweenTrainAndEval() throws {
        let bn = BatchNorm1d(4)
        let x = try Self.batch(16, 4) * 3.0 + 2.0
        let trained = try bn(x)
        // Train mode: each feature normalised to mean 0, (biased) variance 1.
        let mean = try trained.mean(axis: 0)
        #expect(mean.scalars.allSatisfy { Swift.abs($0) < 1e-5 })
        #expect(bn.numBatchesTracked.item == 1)
        // Running statistics moved 10% towards the batch's (unbiased variance).
        let batchMean = try x.mean(axis: 0)
        for j in 0..<4 { #expect(Swift.abs(bn.runningMean.element(j) - 0.1 * batchMean.element(j)) < 1e-5) }
        bn.eval()
        let evaluated = try bn(x)
        #expect(!evaluated.bitwiseEqual(trained))
        #expect(bn.numBatchesTracked.item == 1)
    }

    @Test func dropoutDiffersBetweenTrainAndEvalAndIsInverted() throws {
        let drop = Dropout(p: 0.3, layerID: 1, seed: 5)
        let x = Tensor.ones([200, 50])
        let y = try drop(x)
        let kept = y.scalars.filter { $0 != 0 }
        #expect(kept.allSatisfy { Swift.abs($0 - 1 / 0.7) < 1e-6 })
        let rate = 1 - Double(kept.count) / Double(x.count)
        #expect(Swift.abs(rate - 0.3) < 0.02)
        drop.eval()
        #expect(try drop(x).bitwiseEqual(x))
    }

    @Test func dropoutMaskIsKeyedBySampleNotPosition() throws {
        let drop = Dropout(p: 0.5, layerID: 2)
        let x = Tensor.ones([4, 8])
        let full = try SampleContext.$current.withValue(SampleContext(seed: 1, step: 3, sampleIndices: [10, 11, 12, 13])) { try drop(x) }
        // Samples 12 and 13 computed alone, in another micro-batch, get the same mask rows.
        let part = try SampleContext.$current.withValue(SampleContext(seed: 1, step: 3, sampleIndices: [12, 13])) {
            try drop(Tensor.ones([2, 8]))
        }
        #expect(Array(full.scalars[16...]) == part.scalars)
        let otherStep = try SampleContext.$current.withValue(SampleContext(seed: 1, step: 4, sampleIndices: [10, 11, 12, 13])) { try drop(x) }
        #expect(!otherStep.bitwiseEqual(full))
    }

    @Test func evalUnderNoGradEqualsEvalWithGrad() throws {
        let model = Self.referenceModel()
        _ = try model(Self.batch(32, 20))   // move the running statistics away from their initial values
        model.eval()
        let x = Self.batch(16, 20, salt: 1)
        let withGrad = try model(x)
        let withoutGrad = try noGrad { try model(x) }
        let inference = try inferenceMode { try model(x) }
        #expect(withGrad.requiresGrad && !withoutGrad.requiresGrad)
        #expect(withGrad.bitwiseEqual(withoutGrad))
        #expect(withGrad.bitwiseEqual(inference))
    }

    @Test func modulesPassGradientChecks() throws {
        let model = Self.referenceModel(dtype: .float64)
        let drop = model.layers[3].module as! Dropout
        let x = Self.batch(6, 20, dtype: .float64).requiringGrad()
        // Fix the dropout mask so that the finite differences see the same function.
        let context = SampleContext(seed: 3, step: 0, sampleIndices: Array(0..<6))
        let inputs = [x] + model.namedParameters().map(\.tensor)
        let result = try SampleContext.$current.withValue(context) {
            try GradientCheck.check("reference model", inputs: inputs, tolerance: 1e-5) { _ in try model(x) }
        }
        #expect(result.passed, "\(result)")
        _ = drop
        for (name, layer) in [("LayerNorm", LayerNorm(5, dtype: .float64) as Module), ("GELU", GELU()), ("Tanh", Tanh()),
                              ("Sigmoid", Sigmoid()), ("LeakyReLU", LeakyReLU(negativeSlope: 0.1))] {
            let input = Self.batch(4, 5, salt: 2, dtype: .float64).requiringGrad()
            let r = try GradientCheck.check(name, inputs: [input] + layer.namedParameters().map(\.tensor)) { _ in try layer(input) }
            #expect(r.passed, "\(r)")
        }
    }

    @Test func forwardHooksFireInCallOrderAndCanBeRemoved() throws {
        let model = Self.referenceModel()
        var seen: [String] = []
        var handles: [HookHandle] = []
        for (name, module) in model.namedModules() where !name.isEmpty {
            handles.append(module.registerForwardHook { _, input, output in seen.append("\(name) \(input.shape)→\(output.shape)") })
        }
        _ = try noGrad { try model(Self.batch(16, 20)) }
        #expect(seen.first == "layer1 [16, 20]→[16, 64]")
        #expect(seen.last == "layer3 [16, 32]→[16, 1]")
        #expect(seen.count == 8)
        handles.forEach { $0.remove() }
        seen.removeAll()
        _ = try noGrad { try model(Self.batch(16, 20)) }
        #expect(seen.isEmpty)
    }

    @Test func loadStateDictRejectsWhatDoesNotFit() throws {
        let model = Self.referenceModel()
        var state = Dictionary(uniqueKeysWithValues: model.stateDict().map { ($0.name, $0.tensor.copy()) })
        try model.loadStateDict(state)
        state["layer1.weight"] = Tensor.zeros([32, 20])
        #expect(throws: ModuleError.self) { try model.loadStateDict(state) }
        do { try model.loadStateDict(state, source: "w.safetensors") } catch {
            #expect("\(error)" == "w.safetensors: tensor 'layer1.weight' has shape [32, 20], expected [64, 20]")
        }
        state["layer1.weight"] = nil
        #expect(throws: ModuleError("s: missing tensor 'layer1.weight'")) { try model.loadStateDict(state, source: "s") }
    }

    @Test func flatParametersGatherValuesAndGradients() throws {
        let model = Self.referenceModel()
        let before = model.namedParameters().map { $0.tensor.copy() }
        let flat = FlatParameters(model)
        for ((_, t), old) in zip(model.namedParameters(), before) { #expect(t.bitwiseEqual(old)) }
        #expect(flat.values.count == model.parameterCount)
        try Loss.binaryCrossEntropyWithLogits(model(Self.batch(16, 20)), Tensor.zeros([16, 1]), reduction: .sum).backward()
        let w = model.namedParameters()[0].tensor
        #expect(w.grad!.storage === flat.gradients.storage)
        #expect(flat.gradients.scalars[0..<w.count].elementsEqual(w.grad!.scalars))
    }
}
