import TensorCore
import Autograd

/// Activation checkpointing: runs a module without keeping its intermediate activations, and runs it
/// again in the backward pass to get them back (less memory, one more forward of the block).
///
/// With grad enabled, the forward runs the wrapped module under `noGrad` and keeps only what is needed
/// to replay it: its input, the `SampleContext` in force, the train/eval flags of its modules and the
/// call counters of its dropout layers. It records one graph node. That node's backward re-runs the
/// forward with grad on a detached copy of the input (requiring grad when the input does), in the same
/// context and modes, then backpropagates the incoming gradient through the rebuilt subgraph: the
/// parameters' gradients accumulate into their `.grad` (or gradient slots) as usual, and the node hands
/// the input's gradient on. Without grad (`noGrad`, `inferenceMode`, or nothing requiring grad) it is
/// the wrapped module, as is.
///
/// Gradients are the same bits as without checkpointing: the replay computes the same ops on the same
/// values in the same order, dropout draws the same masks (they are keyed by the `SampleContext`, which
/// is re-established, or by the layer's call counter, which is rewound), and batch norm normalises
/// with the same batch statistics. Batch norm records its statistics only in the first forward:
/// during the replay `Checkpointed.isRecomputing` is true and `BatchNorm1d` neither appends to
/// `pendingStatistics` nor moves its running statistics.
///
/// The wrapper is transparent to names: it registers the wrapped module's parameters, buffers and
/// children as its own, so `Checkpointed(m)` has the `state_dict` of `m` and a model keeps its names
/// when a block is wrapped. Forward hooks inside the block fire in the replay too (as in PyTorch);
/// a hook that must see each forward once can skip `Checkpointed.isRecomputing`.
///
/// ```swift
/// let block = Checkpointed(Sequential([("fc", Linear(512, 512, key: key)), ("bn", BatchNorm1d(512)), (nil, ReLU())]))
/// let y = try block(x)          // block.fc.weight etc. as without the wrapper
/// try y.sum().backward()        // re-runs the block, then backpropagates through it
/// ```
public final class Checkpointed: Module {
    /// The module run without keeping its activations.
    public let wrapped: Module

    /// True while a checkpointed block replays its forward inside backward (task-local: each simulated
    /// rank has its own). Layers with side effects in forward (batch-norm statistics) check it.
    @TaskLocal public static var isRecomputing = false

    /// `wrapped` and its descendants, parents before children.
    private let subtree: [Module]
    private let dropouts: [Dropout]
    private var parameterTensors: [Tensor] = []

    /// What a forward must remember to be replayed exactly.
    private struct Replay {
        let context: SampleContext?
        let modes: [Bool]
        let dropoutCalls: [Int]
    }

    /// Wraps `module`, which should be fully built: its tree is read once, here.
    public init(_ module: Module) {
        wrapped = module
        subtree = module.namedModules().map(\.module)
        dropouts = subtree.compactMap { $0 as? Dropout }
        super.init()
        for (name, tensor) in module.localParameters {
            let requiresGrad = tensor.requiresGrad   // registering would turn it on: keep a frozen one frozen
            register(parameter: tensor, as: name)
            tensor.requiresGrad = requiresGrad
        }
        for (name, tensor) in module.localBuffers { register(buffer: tensor, as: name) }
        for (name, child) in module.children { register(module: child, as: name) }
        parameterTensors = namedParameters().map(\.tensor)
        // Take the wrapped module's train/eval flag without changing its descendants'.
        let modes = subtree.map(\.isTraining)
        train(module.isTraining)
        Self.setModes(subtree, modes)
    }

    public override func forward(_ input: Tensor) throws -> Tensor {
        // `train()`/`eval()` reach the wrapped module's children through this wrapper, but not the
        // wrapped module itself: it takes this wrapper's flag.
        if wrapped.isTraining != isTraining { adoptMode() }
        guard GradMode.isEnabled, input.requiresGrad || parameterTensors.contains(where: \.requiresGrad) else {
            return try wrapped(input)
        }
        let replay = Replay(context: SampleContext.current, modes: subtree.map(\.isTraining),
                            dropoutCalls: dropouts.map(\.uncontextualisedCalls))
        var output = try noGrad { try wrapped(input) }
        // The node needs an output of its own (the block may return its input, e.g. dropout in eval).
        if output === input || output.requiresGrad || output.gradFn != nil { output = output.detached() }
        let needsInputGradient = input.requiresGrad
        let parameterCount = parameterTensors.count
        // The parameters are inputs of the node so that it is recorded even when the block's input
        // needs no gradient (the first block of a model); their gradients accumulate during the
        // replay, so the node returns nil for them.
        return try Tensor.record("checkpoint", inputs: [input] + parameterTensors, output: output) { [self] gradOutput in
            let x = input.detached()
            if needsInputGradient { x.requiringGrad() }
            try recompute(x, gradOutput: gradOutput, replay)
            return [needsInputGradient ? x.grad : nil] + Array(repeating: nil, count: parameterCount)
        }
    }

    /// Replays the forward on `x` with grad, as `replay` recorded it, and backpropagates `gradOutput`.
    private func recompute(_ x: Tensor, gradOutput: Tensor, _ replay: Replay) throws {
        let modes = subtree.map(\.isTraining)
        let modesChanged = modes != replay.modes
        if modesChanged { Self.setModes(subtree, replay.modes) }
        let calls = dropouts.map(\.uncontextualisedCalls)
        for (dropout, count) in Swift.zip(dropouts, replay.dropoutCalls) { dropout.uncontextualisedCalls = count }
        defer {
            for (dropout, count) in Swift.zip(dropouts, calls) { dropout.uncontextualisedCalls = count }
            if modesChanged { Self.setModes(subtree, modes) }
        }
        try GradMode.$current.withValue(.enabled) {
            try SampleContext.$current.withValue(replay.context) {
                try Self.$isRecomputing.withValue(true) {
                    let y = try wrapped(x)
                    guard y.requiresGrad else { return }
                    try y.backward(gradOutput)
                }
            }
        }
    }

    /// Gives the wrapped module this wrapper's flag, leaving its descendants' as they are.
    private func adoptMode() {
        let modes = subtree.map(\.isTraining)
        wrapped.train(isTraining)
        Self.setModes(subtree.dropFirst(), modes.dropFirst())
    }

    /// Sets each module's flag, parents before children (a parent's `train` also sets its children,
    /// which are then set to their own flag).
    private static func setModes<M: Collection<Module>, B: Collection<Bool>>(_ modules: M, _ modes: B) {
        for (module, on) in Swift.zip(modules, modes) where module.isTraining != on { module.train(on) }
    }

    public override var summary: String { "Checkpointed(\(wrapped.summary))" }
}
