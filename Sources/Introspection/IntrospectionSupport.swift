import TensorCore
import NN

/// Helpers shared by the introspection tools (`ShapeTrace`, `ActivationCapture`, `ActivationReport`,
/// `GradientCheckSuite`).
enum Introspection {
    /// `(16, 20)`, as PyTorch prints a `torch.Size` without the prefix; `()` for a scalar.
    static func shape(_ shape: [Int]) -> String {
        shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
    }

    /// The layer types a shape trace shows a row for: the building blocks of a config's model.
    static func isLayer(_ module: Module) -> Bool {
        module is Linear || module is BatchNorm1d || module is LayerNorm || module is Dropout || isActivation(module)
    }

    /// Parameter-free elementwise activation modules.
    static func isActivation(_ module: Module) -> Bool {
        module is ReLU || module is LeakyReLU || module is GELU || module is Tanh || module is Sigmoid
    }

    /// Every module of the tree but the root, with its dotted name. Modules registered under the empty
    /// name (the `Checkpointed` blocks of `model.checkpoint_activations`) have no name of their own
    /// and are left out; their layers keep theirs.
    static func namedLayers(_ model: Module) -> [(name: String, module: Module)] {
        model.namedModules().dropFirst().filter { !$0.name.isEmpty }
    }

    /// The train/eval flag of every module of `model`'s tree, to restore after a forward in another mode.
    static func modes(_ model: Module) -> [(Module, Bool)] {
        model.namedModules().map { ($0.module, $0.module.isTraining) }
    }

    /// Puts back flags saved by `modes`, parents before children (a parent's `train` also sets its
    /// children, which are then set to their own flag).
    static func restore(_ modes: [(Module, Bool)]) {
        for (module, on) in modes where module.isTraining != on { module.train(on) }
    }

    /// `text` padded with spaces to `width` characters (left-aligned), or right-aligned.
    static func pad(_ text: String, _ width: Int, right: Bool = false) -> String {
        let fill = String(repeating: " ", count: max(0, width - text.count))
        return right ? fill + text : text + fill
    }

    /// Rows of cells as aligned columns separated by two spaces; `rightAligned` columns are numbers.
    static func table(_ rows: [[String]], rightAligned: Set<Int> = []) -> [String] {
        let columns = rows.map(\.count).max() ?? 0
        let widths = (0..<columns).map { c in rows.map { c < $0.count ? $0[c].count : 0 }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { c, cell in
                c == row.count - 1 && !rightAligned.contains(c) ? cell : pad(cell, widths[c], right: rightAligned.contains(c))
            }.joined(separator: "  ")
        }
    }

    /// `%.Ng`-style compact number, or `nan`/`inf`.
    static func number(_ x: Double, _ format: String = "%.4f") -> String {
        x.isFinite ? String(format: format, x) : (x.isNaN ? "nan" : (x > 0 ? "inf" : "-inf"))
    }
}
