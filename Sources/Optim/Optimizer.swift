import TensorCore

/// An optimizer updates named parameters in place from their `.grad`, the way `torch.optim` does.
///
/// Parameters are given as `(name, tensor)` pairs, names as in the model's `state_dict`
/// (`layer1.weight`). State is kept per parameter *name*, so that a checkpoint holds it as
/// `optimizer.<param>.<slot>` tensors and a resumed run (at any world size) finds it again.
/// Underneath, parameters, gradients and state are flat buffers (`ParameterBuffer`, `FlatState`):
/// with a model whose parameters already live in one buffer (`FlatParameters`), a step is one
/// fused loop over that buffer.
///
/// ```swift
/// let opt = try SGD(parameters: model.namedParameters(), lr: 0.1, momentum: 0.9)
/// for batch in batches {
///     opt.zeroGrad()
///     try loss(batch).backward()
///     try opt.step()
/// }
/// let state = opt.stateTensors()          // [("optimizer.layer1.weight.momentum_buffer", …), …]
/// ```
public protocol Optimizer: AnyObject {
    /// The learning rate used by the next `step()`. LR schedules set it before each step.
    var learningRate: Double { get set }

    /// The parameters being optimized, in the order they were given.
    var parameters: [(name: String, tensor: Tensor)] { get }

    /// One update of every parameter that has a gradient. A parameter whose `.grad` is nil is
    /// skipped (its state, including its step count, does not move), as in PyTorch.
    /// Throws if a gradient's dtype or shape differs from its parameter's, or the learning rate is invalid.
    func step() throws

    /// `step()` restricted to the flat elements `elements` of the shard (e.g. one reduced gradient
    /// bucket, so that the update of early buckets overlaps the reduction of later ones), with every
    /// gradient first multiplied by `gradientScale` (rounded once to the element type, as scaling the
    /// buffer beforehand would: `1/B` fused into the update saves a pass). Calls that together cover
    /// the shard once, in any order and cutting parameters anywhere, are one optimizer step: each
    /// parameter's step count advances once. Over the whole shard with scale 1 it is `step()`; the
    /// update is elementwise, so any cut gives the same bits.
    func step(elements: Range<Int>, gradientScale: Double) throws

    /// Whether `step(elements:gradientScale:)` may take a step in several calls over parts of the
    /// shard (true for SGD and Adam). A layer-wise optimizer (LARS, LAMB) needs every gradient of a
    /// tensor before it updates any element, and takes its whole shard in one call.
    var updatesElementwise: Bool { get }

    /// Clears gradients: sets `.grad` to nil (`setToNil`, PyTorch's default) or fills it with zeros.
    func zeroGrad(setToNil: Bool)

    /// The optimizer's state as `optimizer.<param>.<slot>` tensors, in parameter order.
    /// These are the optimizer's own tensors, not copies: write them out before the next `step()`.
    func stateTensors() -> [(name: String, tensor: Tensor)]

    /// The elements `[lo, hi)` of the flat parameter buffer this optimizer updates and holds state
    /// for: all of them unless it was built with a `shard` (optimizer-state sharding, ZeRO-1).
    var shard: Range<Int> { get }

    /// The whole state as an unsharded optimizer would hold it (`stateTensors()` of the full buffer),
    /// assembled from every rank's shard: `shards` lists each rank's shard in rank order, `allGather`
    /// moves each rank's bytes to all. Every rank must call it. Unsharded, it is `stateTensors()`.
    func gatheredStateTensors(shards: [Range<Int>], allGather: StateAllGather) throws -> [(name: String, tensor: Tensor)]

    /// Restores state written by `stateTensors()` of an unsharded optimizer (a sharded one takes its
    /// shard's part of each tensor). `tensors` may hold other entries (the whole
    /// checkpoint); names outside `optimizer.` are ignored. Every slot must be present with its
    /// parameter's shape and dtype, and no unknown `optimizer.` name may appear; nothing is changed
    /// unless all checks pass. Values are copied, so the caller's tensors stay independent.
    func loadState(_ tensors: [String: Tensor]) throws
}

extension Optimizer {
    public var updatesElementwise: Bool { true }

    /// Sets every gradient to nil (PyTorch's `zero_grad()` default, `set_to_none=True`).
    public func zeroGrad() { zeroGrad(setToNil: true) }

    /// The whole shard, gradients as they are.
    public func step() throws { try step(elements: shard, gradientScale: 1) }
}
