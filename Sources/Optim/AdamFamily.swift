import TensorCore

/// What Adam and AdamW share: the `Optimizer` surface over one `AdamCore`. The two differ only in how
/// weight decay enters the update (`AdamCore.decoupled`) and in their defaults.
public class AdamFamily: Optimizer {
    let core: AdamCore

    init(core: AdamCore) {
        self.core = core
    }

    public var learningRate: Double {
        get { core.learningRate }
        set { core.learningRate = newValue }
    }
    public var betas: (Double, Double) { (core.beta1, core.beta2) }
    public var eps: Double { core.eps }
    public var weightDecay: Double { core.weightDecay }
    public var amsgrad: Bool { core.amsgrad }
    public var parameters: [(name: String, tensor: Tensor)] { core.params.entries }

    public func step() throws { try core.step() }
    public func zeroGrad(setToNil: Bool) { core.params.zeroGrad(setToNil: setToNil) }
    public func stateTensors() -> [(name: String, tensor: Tensor)] { core.stateTensors() }
    public func loadState(_ tensors: [String: Tensor]) throws {
        try StateSlots.load(tensors, into: core.stateTensors())
    }
}
