import TensorCore
import Autograd

/// Branches applied to the same input, their outputs joined along `axis` (`torch.cat`): a tabular
/// model's numeric and categorical parts side by side, or parallel towers.
///
/// Branches are named as in `Sequential` (an unnamed one by its index): `Concat([("num", a), ("cat", b)])`
/// has `num.weight`, `cat.weight`, …, as a PyTorch module holding the branches as attributes of those
/// names (or an `nn.ModuleDict`, or an `nn.ModuleList` for index names) whose forward is
/// `torch.cat([self.num(x), self.cat(x)], dim=axis)`. The gradient of each branch's output is its
/// slice of `g`.
///
/// ```swift
/// let towers = Concat([("wide", Linear(8, 16, key: k0)), ("deep", Sequential([("fc", Linear(8, 4, key: k1)), ("act", ReLU())]))])
/// let y = try towers(x)   // (N, 8) → (N, 20)
/// ```
public final class Concat: Module {
    public let branches: [(name: String, module: Module)]
    public let axis: Int

    public init(_ branches: [(name: String?, module: Module)], axis: Int = -1) {
        precondition(!branches.isEmpty, "Concat needs at least one branch")
        self.branches = branches.enumerated().map { index, branch in (branch.name ?? String(index), branch.module) }
        self.axis = axis
        super.init()
        for (name, module) in self.branches { register(module: module, as: name) }
    }

    public override func forward(_ input: Tensor) throws -> Tensor {
        try Tensor.concatenate(branches.map { try $0.module(input) }, axis: axis)
    }

    public override var summary: String { "Concat(\(branches.map(\.module.summary).joined(separator: ", ")), axis: \(axis))" }
}
