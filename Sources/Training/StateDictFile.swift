import TensorCore
import NN
import Optim
import Checkpointing

/// Model weights and training state as safetensors files, in PyTorch's `state_dict` naming.
///
/// Every load path (`train --init`, `train --resume`, `eval`, `inspect`) goes through `read`, which
/// refuses a file that does not verify against its recorded digests, does not fit the model, or holds
/// non-finite values; `restore` adds the copy into the model and optimizer.
///
/// ```swift
/// let metadata = try StateDictFile.restore(from: "run/checkpoints/step-00000100.safetensors",
///                                          into: model, optimizer: optimizer)
/// metadata["step"]   // "100"
/// ```
public enum StateDictFile {
    /// The model's state dict (and optionally the optimizer's state) as an archive, with the run state
    /// in `__metadata__` and `params_sha256` (state dict) and `content_sha256` (everything) recorded.
    public static func archive(model: Module, optimizer: Optimizer? = nil, metadata: [String: String] = [:]) -> SafetensorsArchive {
        archive(model: model, optimizerState: optimizer?.stateTensors() ?? [], metadata: metadata)
    }

    /// The same with the optimizer's state given as tensors (a sharded run's, gathered:
    /// `Trainer.optimizerStateForCheckpoint()`).
    public static func archive(model: Module, optimizerState: [(name: String, tensor: Tensor)],
                               metadata: [String: String] = [:]) -> SafetensorsArchive {
        var archive = SafetensorsArchive(tensors: model.stateDict() + optimizerState, metadata: metadata)
        archive.recordDigests()
        return archive
    }

    /// Reads a state dict (a file saved by `safetensors.torch.save_file(model.state_dict(), …)`
    /// or by Lockstep) and checks it: against its recorded digests when `verify` is set and it records
    /// any (see `SafetensorsArchive.verifyDigests`; PyTorch's files record none), against the model
    /// (every tensor present, nothing unknown, the right shapes and dtypes), and for values no trained
    /// model holds (NaN or infinity, a negative batch count). Optimizer entries are returned separately.
    /// Every error is one line naming `path`.
    public static func read(_ path: String, for model: Module, verify: Bool = true) throws
        -> (model: [String: Tensor], optimizer: [String: Tensor], metadata: [String: String]) {
        let archive = try SafetensorsArchive(contentsOf: path)
        if verify { try archive.verifyDigests(source: path) }
        let expected = model.stateDict().map { TensorSpec(name: $0.name, shape: $0.tensor.shape, dtype: $0.tensor.dtype) }
        var modelTensors: [String: Tensor] = [:], optimizerTensors: [String: Tensor] = [:]
        for (name, tensor) in archive.tensors {
            if name.hasPrefix(CheckpointMetadataKey.optimizerPrefix) { optimizerTensors[name] = tensor } else { modelTensors[name] = tensor }
        }
        try SafetensorsArchive(tensors: archive.tensors.filter { !$0.name.hasPrefix(CheckpointMetadataKey.optimizerPrefix) })
            .validate(against: expected, source: path)
        for (name, tensor) in archive.tensors {
            if let problem = nonFiniteProblem(tensor) {
                throw TrainingError("\(path): tensor '\(name)' \(problem); refusing to load weights that are not finite")
            }
        }
        for (prefix, module) in model.namedModules() {
            guard let batchNorm = module as? BatchNorm1d else { continue }
            let name = (prefix.isEmpty ? "" : prefix + ".") + "num_batches_tracked"
            if let count = modelTensors[name] { try batchNorm.checkLoadable(numBatchesTracked: count, name: name, source: path) }
        }
        return (modelTensors, optimizerTensors, archive.metadata)
    }

    /// Reads the file at `path` (see `read`) and copies it into `model` and, when given, `optimizer`
    /// (which then needs its state in the file, as a checkpoint holds it). Returns the file's metadata.
    /// Any error, the optimizer's included, is one line naming `path`.
    @discardableResult
    public static func restore(from path: String, into model: Module, optimizer: Optimizer? = nil,
                               verify: Bool = true) throws -> [String: String] {
        let state = try read(path, for: model, verify: verify)
        try apply(state, from: path, to: model, optimizer: optimizer)
        return state.metadata
    }

    /// Copies a state that `read` returned for `path` into `model` and, when given, `optimizer`.
    /// Errors are one line naming `path`, the optimizer's included.
    public static func apply(_ state: (model: [String: Tensor], optimizer: [String: Tensor], metadata: [String: String]),
                             from path: String, to model: Module, optimizer: Optimizer? = nil) throws {
        try model.loadStateDict(state.model, source: path)
        if let optimizer {
            do {
                try optimizer.loadState(state.optimizer)
            } catch {
                // The optimizer names the slot but not the file (it never sees one).
                throw TrainingError("\(path): \(error)")
            }
        }
    }

    /// "holds NaN at element 3" for the first non-finite element of a float tensor, else nil.
    static func nonFiniteProblem(_ tensor: Tensor) -> String? {
        let count = tensor.count
        func first<T: BinaryFloatingPoint>(_ type: T.Type) -> String? {
            let values = UnsafeBufferPointer(start: tensor.rawPointer.assumingMemoryBound(to: T.self), count: count)
            // A sum is finite only if every term is: one fast pass, and a search only on failure.
            var sum: T = 0
            for value in values { sum += value * 0 }
            guard !sum.isFinite, let index = values.firstIndex(where: { !$0.isFinite }) else { return nil }
            return "holds \(values[index]) at element \(index)"
        }
        switch tensor.dtype {
        case .float32: return first(Float.self)
        case .float64: return first(Double.self)
        case .int64: return nil
        }
    }
}
