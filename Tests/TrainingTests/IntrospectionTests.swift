import Testing
import Foundation
import TensorCore
import Autograd
@testable import NN
import Training
import Config
import Introspection

/// Shape traces, activation capture, activation reports and the gradient-check suite
/// (docs/introspection.md).
struct IntrospectionTests {
    static func referenceConfig(_ overrides: [String] = []) throws -> RunConfig {
        try RunConfig(yaml: configClinicalYAML, source: "clinical.yaml", overrides: overrides)
    }

    static func batch(_ rows: Int, _ features: Int = 20, salt: UInt32 = 1) -> Tensor {
        Tensor.uniform([rows, features], low: -2, high: 2, key: RandomKey(seed: 11, stream: .syntheticData, a: salt))
    }

    static let referenceRows = [
        "layer1 (16, 20) → (16, 64)",
        "bn1 (16, 64) → (16, 64)",
        "2 (16, 64) → (16, 64)",
        "3 (16, 64) → (16, 64)",
        "layer2 (16, 64) → (16, 32)",
        "bn2 (16, 32) → (16, 32)",
        "6 (16, 32) → (16, 32)",
        "layer3 (16, 32) → (16, 1)",
    ]

    /// No module of the tree keeps a forward hook.
    static func hookCount(_ model: Module) -> Int {
        model.namedModules().reduce(0) { $0 + $1.module.forwardHooks.count }
    }

    // MARK: Shape trace

    @Test func traceOfTheReferenceModel() throws {
        let model = try ModelBuilder.build(Self.referenceConfig())
        let rows = try ShapeTrace.run(model: model, input: Self.batch(16))
        #expect(rows.map(\.description) == Self.referenceRows)
        #expect(rows.map(\.name) == ["layer1", "bn1", "2", "3", "layer2", "bn2", "6", "layer3"])
        #expect(rows[0].inputShape == [16, 20] && rows[0].outputShape == [16, 64])
        #expect(rows.map(\.summary) == ["Linear(20 → 64)", "BatchNorm1d(64)", "ReLU", "Dropout(p: 0.3)",
                                        "Linear(64 → 32)", "BatchNorm1d(32)", "ReLU", "Linear(32 → 1)"])
        #expect(rows.map(\.parameterCount) == [1344, 128, 0, 0, 2080, 64, 0, 33])
        #expect(rows.reduce(0) { $0 + $1.parameterCount } == 3649)
        #expect(model.parameterCount == 3649)
        let table = ShapeTrace.table(rows, totalParameters: model.parameterCount)
        #expect(table.split(separator: "\n").count == 10)
        #expect(table.contains("layer1  Linear(20 → 64)  (16, 20) → (16, 64)"))
        #expect(table.hasSuffix("total parameters: 3649"))
    }

    @Test func traceRemovesItsHooksAndRestoresModes() throws {
        let model = try ModelBuilder.build(Self.referenceConfig())
        model.train()
        _ = try ShapeTrace.run(model: model, input: Self.batch(16))
        #expect(Self.hookCount(model) == 0)
        #expect(model.namedModules().allSatisfy { $0.module.isTraining })
        // Also when the forward throws (20 features expected, 7 given).
        #expect(throws: (any Error).self) { try ShapeTrace.run(model: model, input: Self.batch(4, 7)) }
        #expect(Self.hookCount(model) == 0)
        // A hook of the caller's stays, and a later forward calls only it.
        var calls = 0
        let handle = model.registerForwardHook { _, _, _ in calls += 1 }
        _ = try ShapeTrace.run(model: model, input: Self.batch(16))
        #expect(calls == 1)
        _ = try noGrad { try model(Self.batch(16)) }
        #expect(calls == 2 && Self.hookCount(model) == 1)
        handle.remove()
    }

    @Test func traceInTrainModeNeedsTwoSamples() throws {
        let model = try ModelBuilder.build(Self.referenceConfig())
        let error = #expect(throws: TrainingError.self) { try ShapeTrace.run(model: model, input: Self.batch(1), training: true) }
        #expect(error?.description.contains("at least 2") == true)
        #expect(try ShapeTrace.run(model: model, input: Self.batch(1)).count == 8)   // eval mode: fine
        #expect(try ShapeTrace.run(model: model, input: Self.batch(2), training: true).count == 8)
    }

    @Test func checkpointedModelTracesTheSameRows() throws {
        let model = try ModelBuilder.build(Self.referenceConfig(["model.checkpoint_activations=true"]))
        let rows = try ShapeTrace.run(model: model, input: Self.batch(16))
        #expect(rows.map(\.description) == Self.referenceRows)
        #expect(ActivationCapture.layerNames(of: model).filter { !$0.isEmpty }
                    == ["layer1", "bn1", "2", "3", "layer2", "bn2", "6", "layer3"])
        #expect(Self.hookCount(model) == 0)
    }

    // MARK: Activation capture

    @Test func captureReturnsDetachedCopies() throws {
        let model = try ModelBuilder.build(Self.referenceConfig()).eval()
        let x = Self.batch(32)
        let before = try noGrad { try model(x) }.copy()
        let captured = try ActivationCapture.capture(model, layers: ["bn1", "2", "layer3"], input: x)
        #expect(captured.map(\.name) == ["bn1", "2", "layer3"])
        #expect(captured.map(\.activation.shape) == [[32, 64], [32, 64], [32, 1]])
        #expect(captured[2].activation.bitwiseEqual(before))   // the last layer's output is the model's
        #expect(captured[1].activation.scalars.allSatisfy { $0 >= 0 })   // after the ReLU
        for (_, activation) in captured {
            #expect(!activation.requiresGrad && activation.gradFn == nil && !activation.isInferenceTensor)
            activation.fill(1e6)
        }
        #expect(try noGrad { try model(x) }.bitwiseEqual(before))
        #expect(Self.hookCount(model) == 0)
    }

    @Test func captureWithAnInputThatRequiresGradRecordsNothing() throws {
        let model = try ModelBuilder.build(Self.referenceConfig()).eval()
        let x = Self.batch(8).requiringGrad()
        let captured = try ActivationCapture.capture(model, layers: ["layer1"], input: x)
        #expect(!captured[0].activation.requiresGrad && captured[0].activation.gradFn == nil)
    }

    @Test func unknownLayerIsOneClearLine() throws {
        let model = try ModelBuilder.build(Self.referenceConfig())
        let error = #expect(throws: TrainingError.self) {
            try ActivationCapture.capture(model, layers: ["bn1", "nope"], input: Self.batch(4))
        }
        #expect(error?.description == "unknown layer 'nope' (the model's layers: layer1, bn1, 2, 3, layer2, bn2, 6, layer3)")
        #expect(Self.hookCount(model) == 0)
    }

    @Test func captureRemovesHooksWhenTheForwardThrows() throws {
        let model = try ModelBuilder.build(Self.referenceConfig())
        #expect(throws: (any Error).self) { try ActivationCapture.capture(model, layers: ["bn1", "layer3"], input: Self.batch(4, 9)) }
        #expect(Self.hookCount(model) == 0)
    }

    // MARK: Activation report

    @Test func reportOfAFreshlyTrainedReferenceModel() throws {
        // The shipped config (standardised data), trained for its 600 steps.
        let config = try RunConfig.load(path: configShippedPath("clinical-mlp.yaml"))
        let data = try PreparedData(config: config)
        let trainer = try Trainer(config: config, data: data)
        for _ in 0..<config.train.steps { try trainer.step() }
        let model = trainer.model.eval()
        let rows = min(512, data.validation.count)
        let (x, _) = try data.validation.batch(indices: Array(0..<rows)[...])
        let report = try ActivationReport.inspect(model, input: x)
        #expect(report.map(\.name) == ["layer1", "bn1", "2", "3", "layer2", "bn2", "6", "layer3"])
        #expect(report.map(\.shape) == [[512, 64], [512, 64], [512, 64], [512, 64], [512, 32], [512, 32], [512, 32], [512, 1]])
        for layer in report where layer.summary.hasPrefix("BatchNorm1d") {
            // With the running statistics in eval mode, the normalised values of a validation batch sit
            // at mean 0, std 1 per feature (averaged over the features).
            let fit = try #require(layer.normalizedFit)
            #expect(fit.meanAbs < 0.1, "\(layer.name): average |mean| \(fit.meanAbs)")
            #expect(fit.stdDeviation < 0.1, "\(layer.name): average |std − 1| \(fit.stdDeviation)")
            #expect(layer.outputFit != nil && layer.deadFraction == nil)
        }
        for name in ["2", "6"] {
            let dead = try #require(report.first { $0.name == name }?.deadFraction)
            #expect(dead >= 0 && dead < 0.5)
        }
        #expect(report.filter { $0.deadFraction != nil }.map(\.name) == ["2", "6"])
        #expect(Self.hookCount(model) == 0)
        let json = try ActivationReport.json(report, samples: rows)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        #expect(object["samples"] as? Int == 512)
        #expect((object["layers"] as? [[String: Any]])?.count == 8)
    }

    @Test func deadUnitsAndBatchNormFitOnKnownValues() throws {
        // A ReLU after a Linear whose second unit is always negative: half the units are dead.
        let linear = Linear(1, 2, key: RandomKey(seed: 1, stream: .initialization))
        linear.weight.copyElements(from: Tensor([1, 0], shape: [2, 1]))
        linear.bias!.copyElements(from: Tensor([0, -1], shape: [2]))
        let model = Sequential([("fc", linear), ("act", ReLU()), ("bn", BatchNorm1d(2))]).eval()
        let report = try ActivationReport.inspect(model, input: Tensor([1, 2, 3, 4], shape: [4, 1]))
        #expect(report[1].deadFraction == 0.5)
        #expect(report[0].deadFraction == nil)
        // Eval mode with running mean 0, variance 1: x̂ ≈ the input [1, 2, 3, 4] and [0, 0, 0, 0].
        let fit = try #require(report[2].normalizedFit)
        #expect(Swift.abs(fit.meanAbsMax - 2.5 / (1 + 1e-5).squareRoot()) < 1e-5)
        #expect(Swift.abs(fit.meanAbs - 1.25 / (1 + 1e-5).squareRoot()) < 1e-5)
        #expect(Swift.abs(fit.stdDeviationMax - 1) < 1e-6)   // the constant feature: std 0
        // Train mode normalises with the batch's own statistics: mean 0, std ≈ 1 (up to ε).
        model.train()
        let trained = try #require(try ActivationReport.inspect(model, input: Tensor([1, 2, 3, 4], shape: [4, 1]), layers: ["bn"])[0].normalizedFit)
        #expect(trained.meanAbsMax < 1e-6)
    }

    // MARK: Gradient checks

    @Test func gradientCheckSuitePasses() throws {
        let (rows, withoutBackward) = try GradientCheckSuite.checkOps()
        for row in rows { #expect(row.passed, "\(row.name): \(row.worstError)") }
        #expect(withoutBackward == ["round", "sign", "argmax"])
        let names = Set(rows.map { $0.name.split(separator: " ")[0] })
        for op in ["add", "sub", "mul", "div", "matmul", "linear", "sum", "mean", "pow", "exp", "log", "sqrt", "abs",
                   "relu", "leaky_relu", "gelu", "tanh", "sigmoid", "clamp", "reshape", "transpose", "batch_norm",
                   "layer_norm", "bce_with_logits", "cross_entropy", "mse", "permute", "slice", "cat", "softmax",
                   "log_softmax", "causal_softmax", "embedding", "causal_self_attention"] {
            #expect(names.contains(Substring(op)), "\(op) not checked")
        }
        #expect(rows.contains { $0.name == "batch_norm (train)" } && rows.contains { $0.name == "batch_norm (eval)" })
        #expect(GradientCheckSuite.summary(rows).hasPrefix("gradcheck: \(rows.count) checks passed"))
    }

    @Test func gradientCheckOfTheReferenceModel() throws {
        let rows = try GradientCheckSuite.checkModel(Self.referenceConfig())
        #expect(rows.map { String($0.name.split(separator: " ")[0]) }
                    == ["layer1", "bn1", "2", "3", "layer2", "bn2", "6", "layer3", "model"])
        for row in rows { #expect(row.passed, "\(row.name): \(row.worstError)") }
        #expect(rows.last?.checkedElements == 3649 + 8 * 20)
    }

    @Test func opWithoutBackwardAndUnknownOpAreOneLine() throws {
        for op in ["round", "sign", "argmax"] {
            let error = #expect(throws: GradientCheckError.self) { try GradientCheckSuite.checkOp(op) }
            #expect(error?.description == "op '\(op)' has no backward")
        }
        let unknown = #expect(throws: GradientCheckError.self) { try GradientCheckSuite.checkOp("nope") }
        #expect(unknown?.description.hasPrefix("unknown op 'nope' (ops: add, sub,") == true)
        #expect(unknown?.description.contains("\n") == false)
        #expect(try GradientCheckSuite.checkOp("batch_norm").map(\.name) == ["batch_norm (train)", "batch_norm (eval)"])
    }

    @Test func aWrongDerivativeFailsItsRowAndTheSummary() throws {
        // d/dx x² claimed to be x: the check must fail, and the summary must say so.
        let x = Tensor.uniform([4], low: 0.5, high: 2, key: RandomKey(seed: 3, stream: .initialization), dtype: .float64).requiringGrad()
        let result = try GradientCheck.check("wrong_square", inputs: [x]) { inputs in
            let v = inputs[0]
            return try Tensor.record("wrong_square", inputs: [v], output: v.map(.square)) { g in [g.zip(v, .multiply)!] }
        }
        let row = GradientCheckRow(result)
        #expect(!row.passed)
        #expect(GradientCheckSuite.summary([row]) == "gradcheck: 1 of 1 checks FAILED: wrong_square")
        #expect(GradientCheckSuite.table([row]).hasSuffix("FAIL"))
    }
}
