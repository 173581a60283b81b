import TensorCore
import Autograd
import NN
import Training

/// The outputs of chosen modules for one batch, as detached copies.
///
/// The model runs once, in `inferenceMode` and in the mode it is in (call `model.eval()` first for
/// validation-time activations), with a forward hook on each chosen module; each hook copies the
/// module's output. The copies own their storage, are outside any graph and do not require grad:
/// changing them changes nothing in the model. Hooks are removed before `capture` returns or throws.
///
/// Layers are named as in `namedModules()` (`layer1`, `bn1`, `2` for an unnamed layer at index 2,
/// `block.fc` for a nested one). A module called more than once in the forward yields its last output.
///
/// ```swift
/// model.eval()
/// for (name, activation) in try ActivationCapture.capture(model, layers: ["bn1", "2"], input: x) {
///     print(name, activation.shape)    // bn1 [512, 64], 2 [512, 64]
/// }
/// ```
public enum ActivationCapture {
    /// The names `capture` accepts: every module of the tree but the root, in `namedModules()` order.
    public static func layerNames(of model: Module) -> [String] {
        Introspection.namedLayers(model).map(\.name)
    }

    /// The modules named `layers`, in that order; an unknown name throws one line listing the valid ones.
    public static func resolve(_ layers: [String], in model: Module) throws -> [(name: String, module: Module)] {
        let known = Introspection.namedLayers(model)
        let byName = Dictionary(known.map { ($0.name, $0.module) }, uniquingKeysWith: { first, _ in first })
        return try layers.map { name in
            guard let module = byName[name] else {
                throw TrainingError("unknown layer '\(name)' (the model's layers: \(known.map(\.name).joined(separator: ", ")))")
            }
            return (name, module)
        }
    }

    /// Runs `model` on `input` and returns a copy of each named module's output, in the order of `layers`.
    public static func capture(_ model: Module, layers: [String], input: Tensor) throws -> [(name: String, activation: Tensor)] {
        try captureCalls(model, layers: layers, input: input).map { ($0.name, $0.output) }
    }

    /// One captured module call: the module, a copy of its output, and (when asked for) of its input.
    struct Call {
        let name: String
        let module: Module
        let input: Tensor?
        let output: Tensor
    }

    /// `capture`, keeping the modules (and their inputs when `keepInputs`), for `ActivationReport`.
    static func captureCalls(_ model: Module, layers: [String], input: Tensor, keepInputs: Bool = false) throws -> [Call] {
        let chosen = try resolve(layers, in: model)
        var seen: [ObjectIdentifier: (input: Tensor?, output: Tensor)] = [:]
        var handles: [HookHandle] = []
        defer { handles.forEach { $0.remove() } }
        var hooked = Set<ObjectIdentifier>()
        for (_, module) in chosen where hooked.insert(ObjectIdentifier(module)).inserted {
            handles.append(module.registerForwardHook { module, input, output in
                seen[ObjectIdentifier(module)] = (keepInputs ? input.copy() : nil, output.copy())
            })
        }
        _ = try inferenceMode { try model(input) }
        return try chosen.map { name, module in
            guard let call = seen[ObjectIdentifier(module)] else {
                throw TrainingError("layer '\(name)' did not run in the model's forward")
            }
            return Call(name: name, module: module, input: call.input, output: call.output)
        }
    }
}
