import TensorCore
import Autograd
import NN
import Training

/// The shapes flowing through a model: one no-grad forward with a forward hook on every module of
/// the tree but the root, one row per layer call (Linear, BatchNorm1d, LayerNorm, activation, Dropout)
/// in the order the calls finished.
///
/// The forward runs in eval mode by default (batch norm then uses its running statistics, so a batch of
/// one works and the model's running statistics do not move); the shapes are the same in train mode.
/// Every flag is put back afterwards, and every hook is removed, also when the forward throws.
///
/// ```swift
/// let model = try ModelBuilder.build(config)
/// let rows = try ShapeTrace.run(model: model, input: x)   // x: (16, 20)
/// print(ShapeTrace.table(rows, totalParameters: model.parameterCount))
/// // layer1  Linear(20 → 64)  (16, 20) → (16, 64)  1344 …
/// ```
public enum ShapeTrace {
    /// One layer call.
    public struct Row: Sendable, Equatable, CustomStringConvertible {
        /// The layer's dotted name in the model (`layer1`, or its index, `2`, when the config names none).
        public let name: String
        /// The layer's `summary` (`Linear(20 → 64)`, `ReLU`, `Dropout(p: 0.3)`).
        public let summary: String
        public let inputShape: [Int]
        public let outputShape: [Int]
        /// Elements of the layer's own parameters.
        public let parameterCount: Int

        public init(name: String, summary: String, inputShape: [Int], outputShape: [Int], parameterCount: Int) {
            self.name = name
            self.summary = summary
            self.inputShape = inputShape
            self.outputShape = outputShape
            self.parameterCount = parameterCount
        }

        /// `layer1 (16, 20) → (16, 64)`.
        public var description: String {
            "\(name) \(Introspection.shape(inputShape)) → \(Introspection.shape(outputShape))"
        }
    }

    /// Runs `model` once on `input` under `noGrad` and returns a row per layer call. `training` runs it
    /// in train mode instead of eval mode; batch norm then needs at least 2 samples.
    public static func run(model: Module, input: Tensor, training: Bool = false) throws -> [Row] {
        if training, input.rank >= 1, input.shape[0] < 2,
           model.namedModules().contains(where: { $0.module is BatchNorm1d }) {
            throw TrainingError("a train-mode trace needs a batch of at least 2 (batch norm normalises with the batch's statistics); got \(input.shape[0])")
        }
        let names = Dictionary(model.namedModules().dropFirst().map { (ObjectIdentifier($0.module), $0.name) },
                               uniquingKeysWith: { first, _ in first })
        var rows: [Row] = []
        var handles: [HookHandle] = []
        defer { handles.forEach { $0.remove() } }
        for (_, module) in model.namedModules().dropFirst() {
            handles.append(module.registerForwardHook { module, input, output in
                guard Introspection.isLayer(module) else { return }
                rows.append(Row(name: names[ObjectIdentifier(module)] ?? "?", summary: module.summary,
                                inputShape: input.shape, outputShape: output.shape,
                                parameterCount: module.parameterCount))
            })
        }
        let modes = Introspection.modes(model)
        defer { Introspection.restore(modes) }
        model.train(training)
        _ = try noGrad { try model(input) }
        return rows
    }

    /// The rows as an aligned table (name, layer, input → output, params) with a total line.
    /// `totalParameters` is the model's `parameterCount` (a layer called twice is counted once).
    public static func table(_ rows: [Row], totalParameters: Int) -> String {
        // Input and output share a column, `(16, 20) → (16, 64)`, the inputs padded to one width.
        let inputs = rows.map { Introspection.shape($0.inputShape) }
        let inputWidth = max(5, inputs.map(\.count).max() ?? 0)
        var cells = [["name", "layer", Introspection.pad("input", inputWidth) + "   output", "params"]]
        for (row, input) in zip(rows, inputs) {
            cells.append([row.name, row.summary,
                          Introspection.pad(input, inputWidth) + " → " + Introspection.shape(row.outputShape),
                          String(row.parameterCount)])
        }
        var lines = Introspection.table(cells, rightAligned: [3])
        lines.append("total parameters: \(totalParameters)")
        return lines.joined(separator: "\n")
    }
}
