import TensorCore
import Autograd
import NN
import Config
import Training

/// One row of a gradient-check run: an op variant, a layer or a whole model.
public struct GradientCheckRow: Sendable, Equatable {
    /// `add (broadcast)`, `batch_norm (eval)`, `layer1 Linear(20 → 64)`, `model + bce_with_logits`.
    public let name: String
    /// Largest `|analytic − numeric| / max(1, |numeric|)` over the checked elements (see `GradientCheck`).
    public let worstError: Double
    public let tolerance: Double
    public let checkedElements: Int
    /// Why the row fails without a number (an op expected to have a backward that has none).
    public let problem: String?

    public var passed: Bool { problem == nil && worstError <= tolerance }

    /// The row of one `GradientCheck.check` result.
    public init(_ result: GradientCheckResult) {
        name = result.name
        worstError = result.worstError
        tolerance = result.tolerance
        checkedElements = result.checkedElements
        problem = nil
    }

    init(name: String, problem: String) {
        self.name = name
        worstError = .infinity
        tolerance = 0
        checkedElements = 0
        self.problem = problem
    }
}

/// An op of the gradient-check catalogue: a name (`--op NAME`) and one or more variants, each with
/// float64 inputs and the function to check.
public struct GradientCheckOp {
    struct Variant {
        let label: String
        let tolerance: Double
        /// Fresh inputs (those to check require grad) and the op applied to them.
        let make: () -> (inputs: [Tensor], f: ([Tensor]) throws -> Tensor)
    }

    public let name: String
    /// Whether the op is meant to have a backward. The catalogue also holds ops that have none
    /// (`round`, `sign`, `argmax`); whether an op really records a backward is found by running it.
    public let differentiable: Bool
    let variants: [Variant]
}

/// A problem that stops a gradient check before any number is computed: an unknown op, or an op with
/// no backward. One line.
public struct GradientCheckError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Finite-difference checks, in float64, of every differentiable op, and of every layer of a config's
/// model and the model as a whole, shared by `lockstep gradcheck` and the tests.
///
/// ```swift
/// let (rows, _) = try GradientCheckSuite.checkOps()                   // the whole catalogue
/// let relu = try GradientCheckSuite.checkOp("relu")                  // one op
/// let model = try GradientCheckSuite.checkModel(RunConfig.load(path: "configs/clinical-mlp.yaml"))
/// print(GradientCheckSuite.table(rows + model))
/// ```
public enum GradientCheckSuite {
    /// The default tolerance on the worst relative error (central differences with ε = 1e-6 in float64
    /// are good to about 1e-9 on these sizes; a wrong derivative is off by far more).
    public static let tolerance = 1e-6

    // MARK: The catalogue

    /// The catalogue (built on each use: the variants make fresh inputs).
    public static var ops: [GradientCheckOp] { [
        op("add", [
            ("add", { ([input([3, 4], 1), input([3, 4], 2)], { try $0[0] + $0[1] }) }),
            ("add (broadcast)", { ([input([3, 4], 1), input([4], 2)], { try $0[0] + $0[1] }) }),
        ]),
        op("sub", [("sub (broadcast)", { ([input([3, 4], 1), input([3, 1], 3)], { try $0[0] - $0[1] }) })]),
        op("mul", [("mul (broadcast)", { ([input([3, 4], 1), input([4], 2)], { try $0[0] * $0[1] }) })]),
        op("div", [
            ("div", { ([input([3, 4], 1), input([3, 4], 4, low: 0.5, high: 2)], { try $0[0] / $0[1] }) }),
            ("div (broadcast)", { ([input([3, 4], 1), input([1, 4], 5, low: 0.5, high: 2)], { try $0[0] / $0[1] }) }),
        ]),
        op("neg", [("neg", { ([input([3, 4], 1)], { try -$0[0] }) })]),
        op("affine", [("affine (scalar ops)", { ([input([3, 4], 1)], { try (2.0 - $0[0] * 3.0 + 1.5) / 4.0 }) })]),
        op("matmul", [
            ("matmul", { ([input([3, 4], 14), input([4, 2], 15)], { try $0[0].matmul($0[1]) }) }),
            ("matmul (batched, b transposed)", { ([input([2, 3, 4], 14), input([2, 5, 4], 15)],
                                                 { try $0[0].matmul($0[1], transposeOther: true) }) }),
            ("matmul (shared matrix)", { ([input([2, 3, 4], 14), input([4, 2], 15)], { try $0[0].matmul($0[1]) }) }),
        ]),
        op("linear", [
            ("linear", { ([input([3, 4], 14), input([5, 4], 16), input([5], 17)],
                          { try Tensor.linear($0[0], weight: $0[1], bias: $0[2]) }) }),
            ("linear (no bias)", { ([input([3, 4], 14), input([5, 4], 16)], { try Tensor.linear($0[0], weight: $0[1], bias: nil) }) }),
            ("linear (3-D input)", { ([input([2, 3, 4], 14), input([5, 4], 16), input([5], 17)],
                                      { try Tensor.linear($0[0], weight: $0[1], bias: $0[2]) }) }),
        ]),
        op("sum", [
            ("sum", { ([input([3, 4], 11)], { try $0[0].sum() }) }),
            ("sum (axis 0)", { ([input([3, 4], 11)], { try $0[0].sum(axis: 0) }) }),
            ("sum (axis 1, keepdim)", { ([input([3, 4], 11)], { try $0[0].sum(axis: 1, keepDim: true) }) }),
        ]),
        op("mean", [
            ("mean", { ([input([3, 4], 11)], { try $0[0].mean() }) }),
            ("mean (axis 1)", { ([input([3, 4], 11)], { try $0[0].mean(axis: 1) }) }),
        ]),
        op("pow", [
            ("pow (x^3)", { ([input([2, 3], 6, low: 0.5, high: 2)], { try $0[0].pow(3) }) }),
            ("pow (x^-1.5)", { ([input([2, 3], 6, low: 0.5, high: 2)], { try $0[0].pow(-1.5) }) }),
            ("pow (tensor exponent)", { ([input([2, 3], 6, low: 0.5, high: 2), input([2, 3], 7, low: -1, high: 2)],
                                         { try $0[0].pow($0[1]) }) }),
        ]),
        op("exp", [("exp", { ([awayFromKinks([3, 5], 8)], { try $0[0].exp() }) })]),
        op("log", [("log", { ([input([3, 5], 9, low: 0.2, high: 3)], { try $0[0].log() }) })]),
        op("sqrt", [("sqrt", { ([input([3, 5], 9, low: 0.2, high: 3)], { try $0[0].sqrt() }) })]),
        op("abs", [("abs", { ([awayFromKinks([3, 5], 8)], { try $0[0].abs() }) })]),
        op("relu", [("relu", { ([awayFromKinks([3, 5], 8)], { try $0[0].relu() }) })]),
        op("leaky_relu", [("leaky_relu", { ([awayFromKinks([3, 5], 8)], { try $0[0].leakyRelu(slope: 0.2) }) })]),
        op("gelu", [
            ("gelu", { ([awayFromKinks([3, 5], 8)], { try $0[0].gelu() }) }),
            ("gelu (tanh)", { ([awayFromKinks([3, 5], 8)], { try $0[0].geluTanh() }) }),
        ]),
        op("tanh", [("tanh", { ([awayFromKinks([3, 5], 8)], { try $0[0].tanh() }) })]),
        op("sigmoid", [("sigmoid", { ([awayFromKinks([3, 5], 8)], { try $0[0].sigmoid() }) })]),
        op("clamp", [("clamp", { ([awayFromKinks([3, 5], 10, from: [-1, 1])], { try $0[0].clamp(min: -1, max: 1) }) })]),
        op("reshape", [("reshape", { ([input([3, 4], 11), input([2, 6], 12).requiringGrad(false)],
                                      { try $0[0].reshape([2, -1]) * $0[1] }) })]),
        op("transpose", [("transpose", { ([input([3, 4], 11), input([4, 3], 13).requiringGrad(false)],
                                          { try $0[0].transpose() * $0[1] }) })]),
        op("permute", [("permute", { ([input([2, 3, 2, 4], 25)], { try $0[0].permute([0, 2, 1, 3]) }) })]),
        op("slice", [("slice", { ([input([2, 5, 3], 26)], { try $0[0].slice(axis: 1, range: 1..<4) }) })]),
        op("cat", [("cat", { ([input([2, 1, 3], 27), input([2, 2, 3], 28)], { try Tensor.concatenate($0, axis: 1) }) })]),
        op("softmax", [("softmax (axis 1)", { ([input([2, 3, 4], 29)], { try $0[0].softmax(axis: 1) }) })]),
        op("log_softmax", [("log_softmax", { ([input([2, 3, 4], 29)], { try $0[0].logSoftmax(axis: -1) }) })]),
        op("causal_softmax", [("causal_softmax", { ([input([2, 4, 4], 30)], { try $0[0].causalSoftmax(scale: 0.5) }) })]),
        op("embedding", [("embedding", {
            let ids = Tensor(int64: [3, 0, 3, 1], shape: [2, 2])
            return ([input([4, 3], 31)], { try Tensor.embedding(ids, weight: $0[0]) })
        })]),
        op("causal_self_attention", [("causal_self_attention", { ([input([2, 4, 18], 32, low: -1, high: 1)],
                                                                  { try Tensor.causalSelfAttention($0[0], heads: 2) }) })]),
        op("batch_norm", [
            ("batch_norm (train)", { ([input([6, 3], 18), input([3], 19), input([3], 20)],
                                      { try Tensor.batchNorm($0[0], weight: $0[1], bias: $0[2], epsilon: 1e-5, running: nil).output }) }),
            ("batch_norm (eval)", {
                let rm = Tensor(float64: [0.1, -0.2, 0.3], shape: [3]), rv = Tensor(float64: [0.5, 1.5, 2.0], shape: [3])
                return ([input([6, 3], 18), input([3], 19), input([3], 20)],
                        { try Tensor.batchNorm($0[0], weight: $0[1], bias: $0[2], epsilon: 1e-5, running: (rm, rv)).output })
            }),
        ]),
        op("layer_norm", [("layer_norm", { ([input([6, 3], 18), input([3], 19), input([3], 20)],
                                            { try Tensor.layerNorm($0[0], weight: $0[1], bias: $0[2], epsilon: 1e-5) }) })]),
        op("bce_with_logits", Reduction.allCases.map { r in
            ("bce_with_logits (\(r))", {
                let targets = Tensor(float64: [0, 1, 1, 0, 1], shape: [5, 1])
                return ([input([5, 1], 21, low: -4, high: 4)], { try Loss.binaryCrossEntropyWithLogits($0[0], targets, reduction: r) })
            })
        }),
        op("cross_entropy", Reduction.allCases.map { r in
            ("cross_entropy (\(r))", {
                let classes = Tensor(float64: [2, 0, 1, 2], shape: [4])
                return ([input([4, 3], 22)], { try Loss.crossEntropy($0[0], classes, reduction: r) })
            })
        }),
        op("mse", Reduction.allCases.map { r in
            ("mse (\(r))", {
                let y = Tensor(float64: [0.5, -1, 2, 0], shape: [4])
                return ([input([4, 1], 23)], { try Loss.meanSquaredError($0[0], y, reduction: r) })
            })
        }),
        // Ops without a backward: their values are piecewise constant, so the gradient is zero almost
        // everywhere and no op records one (`roundSTE`/`signSTE` are the trainable stand-ins).
        op("round", differentiable: false, [("round", { ([input([3, 4], 24)], { $0[0].map(.round) }) })]),
        op("sign", differentiable: false, [("sign", { ([input([3, 4], 24)], { $0[0].map(.sign) }) })]),
        op("argmax", differentiable: false, [("argmax", { ([input([3, 4], 24)], { argmax($0[0]) }) })]),
    ] }

    /// Every op name of the catalogue, in order.
    public static var opNames: [String] { ops.map(\.name) }

    // MARK: Running

    /// Checks every variant of the op called `name`. Throws one line when the op is unknown or has no
    /// backward (its result does not require grad).
    public static func checkOp(_ name: String) throws -> [GradientCheckRow] {
        guard let op = ops.first(where: { $0.name == name }) else {
            throw GradientCheckError("unknown op '\(name)' (ops: \(opNames.joined(separator: ", ")))")
        }
        return try op.variants.map { variant in
            guard let row = try check(variant) else { throw GradientCheckError("op '\(name)' has no backward") }
            return row
        }
    }

    /// Checks every op of the catalogue that has a backward. `withoutBackward` names the ops that have
    /// none and were not checked; an op meant to be differentiable that has none is a failed row.
    public static func checkOps() throws -> (rows: [GradientCheckRow], withoutBackward: [String]) {
        var rows: [GradientCheckRow] = [], withoutBackward: [String] = []
        for op in ops {
            for variant in op.variants {
                if let row = try check(variant) {
                    rows.append(row)
                } else if op.differentiable {
                    rows.append(GradientCheckRow(name: variant.label, problem: "no backward"))
                } else if !withoutBackward.contains(op.name) {
                    withoutBackward.append(op.name)
                }
            }
        }
        return (rows, withoutBackward)
    }

    /// nil when the op's result does not require grad (no backward to check).
    static func check(_ variant: GradientCheckOp.Variant) throws -> GradientCheckRow? {
        let (inputs, f) = variant.make()
        let probe = try enableGrad { try f(inputs) }
        guard probe.requiresGrad else { return nil }
        return GradientCheckRow(try GradientCheck.check(variant.label, inputs: inputs, tolerance: variant.tolerance, f))
    }

    /// Checks, in float64 and train mode, every layer of the config's model (Linear, BatchNorm1d,
    /// LayerNorm, activation, Dropout; gradients with respect to its input and parameters, on a random
    /// `(batch, in)` input), then the whole model under the config's loss (with respect to the input and
    /// every parameter). Dropout masks are fixed by a `SampleContext`, so that every forward of the
    /// check draws the same ones.
    public static func checkModel(_ config: RunConfig, batch: Int = 8) throws -> [GradientCheckRow] {
        guard batch >= 2 else { throw GradientCheckError("a model check needs a batch of at least 2 (batch norm in train mode), got \(batch)") }
        let model = try ModelBuilder.build(config, dtype: .float64)
        let shapes = try ShapeTrace.run(model: model, input: Tensor.zeros([batch, config.model.input], dtype: .float64))
        model.train()
        let context = SampleContext(seed: config.seed, step: 0, sampleIndices: Array(0..<batch))
        let modules = Dictionary(Introspection.namedLayers(model).map { ($0.name, $0.module) }, uniquingKeysWith: { a, _ in a })
        var rows: [GradientCheckRow] = []
        try SampleContext.$current.withValue(context) {
            for (index, shape) in shapes.enumerated() {
                guard let module = modules[shape.name] else { continue }
                let x = awayFromKinks(shape.inputShape, 100 + UInt32(index))
                let inputs = [x] + module.namedParameters().map(\.tensor).filter(\.requiresGrad)
                let result = try GradientCheck.check("\(shape.name) \(shape.summary)", inputs: inputs, tolerance: tolerance) {
                    try module($0[0])
                }
                rows.append(GradientCheckRow(result))
            }
            let x = input([batch, config.model.input], 200)
            let targets = modelTargets(config, batch: batch)
            let evaluator = Evaluator(loss: config.loss)
            let inputs = [x] + model.namedParameters().map(\.tensor).filter(\.requiresGrad)
            let result = try GradientCheck.check("model + \(config.loss.rawValue) loss", inputs: inputs, tolerance: tolerance) {
                try evaluator.lossValue(model($0[0]), targets, reduction: .mean)
            }
            rows.append(GradientCheckRow(result))
        }
        return rows
    }

    /// Targets of the config's loss for a random batch: 0/1 labels, class indices or values.
    static func modelTargets(_ config: RunConfig, batch: Int) -> Tensor {
        let key = RandomKey(seed: 0x7461_7267, stream: .initialization)
        let outputs = config.outputFeatures
        switch config.loss {
        case .bceWithLogits:
            return Tensor(float64: (0..<batch).map { key.uniformDouble(at: UInt64($0)) < 0.5 ? 0 : 1 }, shape: [batch, 1])
        case .crossEntropy:
            return Tensor(float64: (0..<batch).map { Double(Int(key.uniformDouble(at: UInt64($0)) * Double(outputs)) % outputs) }, shape: [batch])
        case .mse:
            return Tensor(float64: (0..<batch * outputs).map { key.uniformDouble(at: UInt64($0)) * 4 - 2 }, shape: [batch, outputs])
        }
    }

    // MARK: Output

    /// An aligned pass/fail table: check, elements, worst relative error, tolerance, result.
    public static func table(_ rows: [GradientCheckRow]) -> String {
        var cells = [["check", "elements", "worst rel. error", "tolerance", "result"]]
        for row in rows {
            cells.append([row.name, String(row.checkedElements),
                          row.problem ?? Introspection.number(row.worstError, "%.2e"),
                          row.problem == nil ? Introspection.number(row.tolerance, "%.0e") : "",
                          row.passed ? "pass" : "FAIL"])
        }
        return Introspection.table(cells, rightAligned: [1, 2, 3]).joined(separator: "\n")
    }

    /// `gradcheck: 61 checks passed (worst relative error 3.2e-10)` or `gradcheck: 2 of 61 checks FAILED: …`.
    public static func summary(_ rows: [GradientCheckRow]) -> String {
        let failed = rows.filter { !$0.passed }
        let worst = rows.filter { $0.problem == nil }.map(\.worstError).max() ?? 0
        if failed.isEmpty {
            return "gradcheck: \(rows.count) checks passed (worst relative error \(Introspection.number(worst, "%.1e")))"
        }
        return "gradcheck: \(failed.count) of \(rows.count) checks FAILED: \(failed.map(\.name).joined(separator: ", "))"
    }

    // MARK: Inputs

    private static func op(_ name: String, differentiable: Bool = true,
                           _ variants: [(String, () -> (inputs: [Tensor], f: ([Tensor]) throws -> Tensor))]) -> GradientCheckOp {
        GradientCheckOp(name: name, differentiable: differentiable,
                        variants: variants.map { GradientCheckOp.Variant(label: $0.0, tolerance: tolerance, make: $0.1) })
    }

    /// A float64 tensor uniform in [low, high), requiring grad, the same for the same `salt`.
    static func input(_ shape: [Int], _ salt: UInt32, low: Double = -2, high: Double = 2) -> Tensor {
        Tensor.uniform(shape, low: low, high: high, key: RandomKey(seed: 42, stream: .initialization, a: salt),
                       dtype: .float64).requiringGrad()
    }

    /// `input` kept at least 0.1 away from each of `kinks` (where relu, abs, clamp are not differentiable
    /// and central differences would straddle the corner).
    static func awayFromKinks(_ shape: [Int], _ salt: UInt32, from kinks: [Double] = [0]) -> Tensor {
        let t = input(shape, salt)
        for i in 0..<t.count {
            var v = t.element(i)
            for k in kinks where Swift.abs(v - k) < 0.1 { v = v < k ? k - 0.1 - (k - v) : k + 0.1 + (v - k) }
            t.setElement(i, v)
        }
        return t
    }

    /// Row-wise argmax of an (N, C) tensor as float64 indices: a value with no derivative.
    static func argmax(_ x: Tensor) -> Tensor {
        let (rows, columns) = (x.shape[0], x.shape[1])
        return Tensor(float64: (0..<rows).map { i in
            Double((0..<columns).max { x.element(i * columns + $0) < x.element(i * columns + $1) } ?? 0)
        }, shape: [rows])
    }
}
